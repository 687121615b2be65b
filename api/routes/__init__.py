"""Routes: HTTP in, one library call, HTTP out. No business rule lives here."""
