"""The register's web pages: server-rendered HTML under the same login, roles and audit as the JSON API.

The login form sets the same bearer token the API issues in an HttpOnly, SameSite=Strict cookie.
Person pages ask why the record is being read (purpose, as the API's headers do, here as form fields
carried in the address) and audit every view. Victims' locations are in a page only for roles with
view_victim_location. Every script, style and image is served from here: the pages work with no internet.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape

from api import audit
from api.auth import User, authenticate, issue_token
from api.deps import TOKEN_COOKIE, DbDep, current_user
from graph_schema import vocabulary
from ingest.identity.review import ReviewError, explain_person, queue, queue_size
from ingest.identity.review import decide as decide_identity
from queries._common import read
from queries.detect import person_flags
from queries.histories import consistency
from queries.models import AsOf, NominationCreate, NominationDecision
from queries.nominations import SORTS, NominationError, NotSwept, decide, list_nominations, nominate, stored_page
from queries.obligations import check_obligations
from queries.people import person_agencies
from spr.db import Database
from viz.person import DEFAULT_DEPTH, person_timeline, person_views
from viz.render import render_export, static_file, vendor_file

router = APIRouter(include_in_schema=False)

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates"
PERSON_PLACEHOLDER = "__PERSON__"


@lru_cache(maxsize=1)
def _env() -> Environment:
    loader = ChoiceLoader([FileSystemLoader(TEMPLATE_DIR), PackageLoader("viz", "templates")])
    return Environment(loader=loader, autoescape=select_autoescape(default=True))


def render(template_name: str, http_status: int = 200, **context: Any) -> HTMLResponse:
    html = _env().get_template(template_name).render(**context)
    return HTMLResponse(html, status_code=http_status, headers={"Cache-Control": "no-store"})


# -- who is asking ---------------------------------------------------------------------------------
def _login_redirect(request: Request) -> HTTPException:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return HTTPException(303, "Log in first", headers={"Location": "/login?" + urlencode({"next": target})})


def page_user(request: Request, db: DbDep) -> User:
    """The logged-in user (cookie), or a redirect to the login page."""
    try:
        return current_user(request, db, None)
    except HTTPException as exc:
        if exc.status_code == 401:
            raise _login_redirect(request) from None
        raise


PageUser = Annotated[User, Depends(page_user)]


def page_require(permission: str) -> Callable[[User], User]:
    if permission not in vocabulary().permissions:
        raise ValueError(f"unknown permission {permission!r}")

    def check(user: PageUser) -> User:
        if not user.can(permission):
            raise HTTPException(403, f"Your role does not allow this ({permission})")
        return user

    return check


def same_origin(request: Request) -> None:
    """Forms post only from the register's own pages (with SameSite=Strict, a second line against CSRF)."""
    origin = request.headers.get("origin")
    if origin and origin != f"{request.url.scheme}://{request.url.netloc}":
        raise HTTPException(403, "Cross-site form posts are refused")


SameOrigin = Depends(same_origin)


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _audit(db: Database, request: Request, user: User, action: str, **kw: Any) -> None:
    audit.append(
        db,
        audit.AuditEvent(username=user.username, roles=list(user.roles), action=action, client=_client(request), **kw),
    )


def _safe_next(value: str | None) -> str:
    return value if value and value.startswith("/") and not value.startswith("//") else "/nominations"


def _context(request: Request, user: User | None, **extra: Any) -> dict[str, Any]:
    nav = []
    if user:
        for href, label, perm in (
            ("/nominations", "Nominations", "read_nominations"),
            ("/consistency", "Consistency by force", "read_consistency"),
            ("/identity-review", "Identity review", "review_identity"),
            ("/alerts", "Alerts", "read_alerts"),
        ):
            if user.can(perm):
                nav.append({"href": href, "label": label, "current": request.url.path == href})
    return {"user": user, "nav": nav, "path": request.url.path, **extra}


# -- static files (all local) ----------------------------------------------------------------------
@router.get("/static/{name}")
def static(name: str) -> FileResponse:
    path = (STATIC_DIR / name).resolve()
    if path.parent != STATIC_DIR or not path.is_file():
        raise HTTPException(404, "No such file")
    return FileResponse(path, headers={"Cache-Control": "max-age=3600"})


@router.get("/static/viz/{name}")
def static_viz(name: str) -> FileResponse:
    path = static_file(name)
    if path is None:
        raise HTTPException(404, "No such file")
    return FileResponse(path, headers={"Cache-Control": "max-age=3600"})


@router.get("/static/vendor/{name}")
def static_vendor(name: str) -> FileResponse:
    path = vendor_file(name)
    if path is None or not path.is_file():
        raise HTTPException(404, "No such file")
    return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})


# -- login -----------------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def home() -> RedirectResponse:
    return RedirectResponse("/nominations", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    return render("login.html", **_context(request, None, next=_safe_next(next), error=None))


@router.post("/login", response_class=HTMLResponse, dependencies=[SameOrigin])
def login(
    request: Request,
    db: DbDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    user = authenticate(db, username, password)
    if user is None:
        audit.append(
            db,
            audit.AuditEvent(
                username=username[:64], roles=[], action="LOGIN (page)", client=_client(request), outcome="refused"
            ),
        )
        ctx = _context(request, None, next=_safe_next(next), error="Wrong username or password.")
        return render("login.html", http_status=401, **ctx)
    token, ttl = issue_token(user)
    _audit(db, request, user, "LOGIN (page)")
    resp = RedirectResponse(_safe_next(next), status_code=303)
    resp.set_cookie(
        TOKEN_COOKIE, token, max_age=ttl, httponly=True, samesite="strict", secure=request.url.scheme == "https",
        path="/",
    )  # fmt: skip
    return resp


@router.post("/logout", dependencies=[SameOrigin])
def logout() -> RedirectResponse:
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(TOKEN_COOKIE, path="/", httponly=True, samesite="strict")
    return resp


# -- nominations -----------------------------------------------------------------------------------
@router.get("/nominations", response_class=HTMLResponse)
def nominations_page(
    request: Request,
    db: DbDep,
    user: Annotated[User, Depends(page_require("read_nominations"))],
    force: Annotated[str | None, Query(max_length=16)] = None,
    sort: Annotated[str, Query(max_length=16)] = "rank",
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
    message: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 100,
) -> HTMLResponse:
    force = force or None
    if force and force not in vocabulary().forces:
        raise HTTPException(422, f"unknown force {force!r}")
    sort = sort if sort in SORTS else "rank"
    # The list the sweep stored: a page of it, sorted in the database (docs/queries.md).
    try:
        listed = stored_page(db, force, limit=limit, sort=sort, order="desc" if order == "desc" else "asc")
        candidates, total, as_of = listed.data, listed.count, listed.as_of
    except NotSwept as exc:
        candidates, total, as_of = [], 0, None
        message = message or str(exc)
    noms = list_nominations(db)
    names = {c.person_id: c.display_name for c in candidates}
    _audit(db, request, user, "PAGE /nominations", purpose=None, purpose_detail=f"force={force or 'all'}")
    forces = sorted(vocabulary().forces.values(), key=lambda f: f.name)
    ctx = _context(
        request, user, candidates=candidates, total=total, limit=limit, as_of=as_of,
        pending=[n for n in noms if n.status == "NOMINATED"], decided=[n for n in noms if n.status != "NOMINATED"],
        names=names, force=force, forces=forces,
        sort=sort, order=order, message=message, can_decide=user.can("decide_nominations"),
        purposes=vocabulary().purposes,
    )  # fmt: skip
    return render("nominations.html", **ctx)


def _back(force: str | None, message: str) -> RedirectResponse:
    q = {"message": message} | ({"force": force} if force else {})
    return RedirectResponse("/nominations?" + urlencode(q), status_code=303)


@router.post("/nominations", dependencies=[SameOrigin])
def nominate_page(
    request: Request,
    db: DbDep,
    user: Annotated[User, Depends(page_require("decide_nominations"))],
    person_id: Annotated[str, Form(max_length=200)],
    reasons: Annotated[list[str], Form()],
    force: Annotated[str | None, Form(max_length=16)] = None,
) -> RedirectResponse:
    try:
        n = nominate(db, NominationCreate(person_id=person_id, reasons=reasons, nominated_by=user.username))
    except NominationError as exc:
        return _back(force, f"Not nominated: {exc}")
    _audit(db, request, user, "NOMINATE (page)", subject=person_id)
    return _back(force, f"{person_id} nominated ({n.nomination_id}).")


@router.post("/nominations/{nomination_id}/decision", dependencies=[SameOrigin])
def decide_page(
    request: Request,
    db: DbDep,
    nomination_id: str,
    user: Annotated[User, Depends(page_require("decide_nominations"))],
    decision: Annotated[str, Form(pattern="^(accept|decline)$")],
    reason: Annotated[str, Form(max_length=2000)] = "",
    level: Annotated[int | None, Form(ge=1, le=3)] = None,
    force: Annotated[str | None, Form(max_length=16)] = None,
) -> RedirectResponse:
    accept = decision == "accept"
    try:
        n = decide(
            db,
            NominationDecision(
                nomination_id=nomination_id, decided_by=user.username, accept=accept, level=level if accept else None,
                reason=reason.strip() or None,
            ),
        )  # fmt: skip
    except NominationError as exc:
        return _back(force, f"Not recorded: {exc}")
    _audit(db, request, user, f"DECIDE_NOMINATION (page) {n.status}", subject=n.person_id)
    return _back(force, f"{nomination_id}: {n.status.lower()}.")


# -- a person --------------------------------------------------------------------------------------
def _purpose_ok(purpose: str | None, detail: str | None) -> bool:
    return bool(purpose and purpose in vocabulary().purposes and detail and detail.strip())


def _person_links(purpose: str, detail: str) -> tuple[Callable[[str], str], str]:
    q = urlencode({"purpose": purpose, "purpose_detail": detail})

    def link(pid: str) -> str:
        from urllib.parse import quote

        return f"/persons/{quote(pid, safe='')}?{q}"

    return link, f"/persons/{PERSON_PLACEHOLDER}?{q}"


class PersonParams:
    def __init__(
        self,
        purpose: Annotated[str | None, Query(max_length=40)] = None,
        purpose_detail: Annotated[str | None, Query(max_length=500)] = None,
        depth: Annotated[int, Query(ge=1, le=6)] = DEFAULT_DEPTH,
        since: date | None = None,
        until: date | None = None,
    ) -> None:
        self.purpose, self.detail = purpose, (purpose_detail or "").strip()
        self.depth, self.since, self.until = depth, since, until


def _person_page(
    request: Request, db: DbDep, user: User, person_id: str, p: PersonParams, template: str
) -> HTMLResponse:
    if not _purpose_ok(p.purpose, p.detail):
        ctx = _context(request, user, person_id=person_id, purposes=vocabulary().purposes, chosen=p.purpose,
                       detail=p.detail, tried=p.purpose is not None or bool(p.detail))  # fmt: skip
        return render("purpose.html", **ctx)
    assert p.purpose is not None
    exists, agencies = person_agencies(db, person_id)
    outside = exists and user.agency_scoped and user.agency_code not in agencies
    outcome = "not found" if not exists else "refused: outside agency" if outside else "ok"
    _audit(db, request, user, f"PAGE {request.url.path}", subject=person_id, purpose=p.purpose,
           purpose_detail=p.detail, outcome=outcome)  # fmt: skip
    if not exists or outside:
        # Agency-scoped roles learn nothing about people outside their agency, not even existence.
        raise HTTPException(404, f"No person {person_id!r}")
    node = read(db, "find_person_node", person_id=person_id)
    name = (node[0]["props"].get("display_name") if node else None) or person_id
    link, template_url = _person_links(p.purpose, p.detail)
    sensitive = user.can("view_victim_location")
    views = None
    if user.can("read_case_graph"):
        views = person_views(db, person_id, depth=p.depth, since=p.since, until=p.until, include_sensitive=sensitive)
    ctx = _context(
        request, user, person_id=person_id, name=name, p=p,
        purpose_name=vocabulary().purposes[p.purpose].name, graph=views.graph if views else None,
        timeline=views.timeline if views else person_timeline(db, person_id, since=p.since, until=p.until),
        person_link=link, person_url_template=template_url,
        redacted=not sensitive, query=urlencode({"purpose": p.purpose, "purpose_detail": p.detail}),
    )  # fmt: skip
    if template == "person.html":
        ctx |= {
            "identity": explain_person(db, person_id, include_locations=sensitive),
            "flags": person_flags(db, person_id),
            "nominations": list_nominations(db, person_id=person_id),
            "obligations": check_obligations(db, AsOf(person_ids=[person_id]))
            if user.can("read_obligations")
            else None,
        }
    return render(template, **ctx)


@router.get("/persons/{person_id}", response_class=HTMLResponse)
def person_page(
    request: Request,
    db: DbDep,
    person_id: str,
    user: Annotated[User, Depends(page_require("read_person"))],
    p: Annotated[PersonParams, Depends()],
) -> HTMLResponse:
    """A person's profile: identities and why they were linked, flags, nominations, obligations,
    timeline and case graph."""
    return _person_page(request, db, user, person_id, p, "person.html")


@router.get("/persons/{person_id}/graph", response_class=HTMLResponse)
def person_graph_page(
    request: Request,
    db: DbDep,
    person_id: str,
    user: Annotated[User, Depends(page_require("read_case_graph"))],
    p: Annotated[PersonParams, Depends()],
) -> HTMLResponse:
    """The case graph on its own, full width: for a panel looking at it together."""
    return _person_page(request, db, user, person_id, p, "graph.html")


@router.get("/persons/{person_id}/export", response_class=HTMLResponse)
def person_export(
    request: Request,
    db: DbDep,
    person_id: str,
    user: Annotated[User, Depends(page_require("read_case_graph"))],
    p: Annotated[PersonParams, Depends()],
) -> Response:
    """The self-contained panel-pack file (the same as `spr viz person`), as a download."""
    if not _purpose_ok(p.purpose, p.detail):
        raise HTTPException(428, "State the purpose (purpose and purpose_detail)")
    exists, agencies = person_agencies(db, person_id)
    refused = not exists or (user.agency_scoped and user.agency_code not in agencies)
    _audit(db, request, user, f"EXPORT {request.url.path}", subject=person_id, purpose=p.purpose,
           purpose_detail=p.detail, outcome="not found or refused" if refused else "ok")  # fmt: skip
    if refused:
        raise HTTPException(404, f"No person {person_id!r}")
    sensitive = user.can("view_victim_location")
    views = person_views(db, person_id, depth=p.depth, since=p.since, until=p.until, include_sensitive=sensitive)
    html = render_export(views.graph, views.timeline, redacted=not sensitive, generated_by=user.username)
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in person_id)
    return HTMLResponse(html, headers={"Content-Disposition": f'attachment; filename="case-{safe}.html"',
                                       "Cache-Control": "no-store"})  # fmt: skip


# -- reports, review, alerts -----------------------------------------------------------------------
@router.get("/consistency", response_class=HTMLResponse)
def consistency_page(
    request: Request, db: DbDep, user: Annotated[User, Depends(page_require("read_consistency"))]
) -> HTMLResponse:
    report = consistency(db)
    top = max([f.people for f in report.forces] + [1])
    names = {code: f.name for code, f in vocabulary().forces.items()}
    return render("consistency.html", **_context(request, user, report=report, top=top, names=names))


@router.get("/identity-review", response_class=HTMLResponse)
def review_page(
    request: Request,
    db: DbDep,
    user: Annotated[User, Depends(page_require("review_identity"))],
    message: Annotated[str | None, Query(max_length=300)] = None,
) -> HTMLResponse:
    items = queue(db, status="OPEN", limit=50, include_locations=user.can("view_victim_location"))
    _audit(db, request, user, "PAGE /identity-review", purpose="DATA_QUALITY")
    ctx = _context(request, user, items=items, sizes=queue_size(db), message=message)
    return render("review.html", **ctx)


@router.post("/identity-review/decision", dependencies=[SameOrigin])
def review_decide(
    request: Request,
    db: DbDep,
    user: Annotated[User, Depends(page_require("review_identity"))],
    left: Annotated[str, Form(max_length=200)],
    right: Annotated[str, Form(max_length=200)],
    decision: Annotated[str, Form(pattern="^(SAME|DIFFERENT)$")],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> RedirectResponse:
    try:
        r = decide_identity(db, left, right, "SAME" if decision == "SAME" else "DIFFERENT",
                            decided_by=user.username, reason=reason)  # fmt: skip
    except ReviewError as exc:
        return RedirectResponse("/identity-review?" + urlencode({"message": f"Not recorded: {exc}"}), status_code=303)
    _audit(db, request, user, f"IDENTITY_DECISION (page) {decision}", subject=f"{left}|{right}",
           purpose="DATA_QUALITY", purpose_detail=reason[:500])  # fmt: skip
    msg = f"Recorded: {left} and {right} {'are' if decision == 'SAME' else 'are not'} the same person; "
    msg += f"{r.merges} merge(s), {r.splits} split(s)."
    return RedirectResponse("/identity-review?" + urlencode({"message": msg}), status_code=303)


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(
    request: Request,
    db: DbDep,
    user: Annotated[User, Depends(page_require("read_alerts"))],
    status: Annotated[str, Query(pattern="^(OPEN|ACKNOWLEDGED|CLOSED)$")] = "OPEN",
    message: Annotated[str | None, Query(max_length=300)] = None,
) -> HTMLResponse:
    """Alerts routed to the user's agency (every agency's for a user with none)."""
    from queries.alerts import list_alerts

    alerts = list_alerts(db, agency=user.agency_code, statuses=[status], limit=200)
    _audit(db, request, user, "PAGE /alerts", purpose_detail=f"status={status}")
    ctx = _context(request, user, alerts=alerts, status=status, message=message,
                   can_ack=user.can("ack_alerts"), purposes=vocabulary().purposes)  # fmt: skip
    return render("alerts.html", **ctx)


@router.post("/alerts/{alert_id}/status", dependencies=[SameOrigin])
def alert_status(
    request: Request,
    db: DbDep,
    alert_id: str,
    user: Annotated[User, Depends(page_require("ack_alerts"))],
    action: Annotated[str, Form(pattern="^(acknowledge|close)$")],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> RedirectResponse:
    from queries.alerts import AlertError, acknowledge, close_alert

    step = acknowledge if action == "acknowledge" else close_alert
    try:
        a = step(db, alert_id, user.username, note, agency=user.agency_code)
    except AlertError as exc:
        return RedirectResponse("/alerts?" + urlencode({"message": f"Not recorded: {exc}"}), status_code=303)
    _audit(db, request, user, f"ALERT_{action.upper()} (page)", subject=a.person_id)
    return RedirectResponse("/alerts?" + urlencode({"message": f"{alert_id}: {a.status.lower()}."}), status_code=303)
