"""Name, address and place pools for synthetic identities. Deliberately ordinary and invented."""

from __future__ import annotations

# given name -> the nicknames and short forms sources record instead
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby", "Robbie"), "William": ("Bill", "Will", "Billy", "Liam"),
    "James": ("Jim", "Jamie", "Jimmy"), "John": ("Jack", "Johnny"), "Michael": ("Mike", "Mick", "Micky"),
    "Richard": ("Rich", "Rick", "Richie"), "Thomas": ("Tom", "Tommy"), "Christopher": ("Chris", "Kit"),
    "Anthony": ("Tony", "Ant"), "Daniel": ("Dan", "Danny"), "David": ("Dave", "Davey"),
    "Joseph": ("Joe", "Joey"), "Matthew": ("Matt", "Matty"), "Andrew": ("Andy", "Drew"),
    "Steven": ("Steve", "Stevie"), "Stephen": ("Steve", "Stevie"), "Edward": ("Ed", "Eddie", "Ted"),
    "Nicholas": ("Nick", "Nicky"), "Jonathan": ("Jon", "Jonny"), "Alexander": ("Alex", "Sandy"),
    "Benjamin": ("Ben", "Benny"), "Samuel": ("Sam", "Sammy"), "Kevin": ("Kev",), "Peter": ("Pete",),
    "Jason": ("Jay",), "Gary": ("Gaz",), "Darren": ("Daz",), "Lee": (), "Craig": (), "Wayne": (),
    "Paul": (), "Mark": (), "Simon": (), "Jordan": (), "Ryan": (), "Connor": (), "Kieran": ("Kez",),
    "Dean": (), "Scott": ("Scotty",), "Shaun": (), "Carl": (), "Liam": (), "Mohammed": ("Mo",),
    "Imran": (), "Tomasz": ("Tomek",), "Lewis": (), "Nathan": ("Nate",), "Adam": (), "Jamal": (),
    "Elizabeth": ("Liz", "Beth", "Lizzie"), "Katherine": ("Kate", "Katie", "Kath"),
    "Jennifer": ("Jen", "Jenny"), "Rebecca": ("Becky", "Becca"), "Samantha": ("Sam", "Sammy"),
    "Victoria": ("Vicky", "Tori"), "Jessica": ("Jess",), "Alexandra": ("Alex", "Lexi"),
    "Margaret": ("Maggie", "Meg"), "Susan": ("Sue",), "Deborah": ("Debbie", "Deb"),
    "Nicola": ("Nicky", "Nic"), "Charlotte": ("Charlie", "Lottie"), "Abigail": ("Abbie", "Abi"),
    "Amanda": ("Mandy",), "Kimberley": ("Kim",), "Patricia": ("Pat", "Trish"),
    "Christine": ("Chris", "Chrissie"), "Danielle": ("Dani",), "Stephanie": ("Steph",),
    "Jacqueline": ("Jackie",), "Michelle": ("Shell",), "Natalie": ("Nat",), "Megan": ("Meg",),
    "Gemma": (), "Laura": (), "Emma": (), "Sarah": (), "Hannah": (), "Amy": (), "Chloe": (), "Zoe": (),
    "Jade": (), "Kelly": (), "Leanne": (), "Claire": (), "Lisa": (), "Rachel": (), "Helen": (),
    "Lauren": (), "Sophie": (), "Alice": (), "Janet": (), "Jane": (), "Aisha": (), "Fatima": (),
    "Priya": (), "Agnieszka": ("Aga",), "Shannon": (), "Courtney": (), "Kirsty": (), "Donna": (),
}  # fmt: skip

MALE_FIRST = (
    "Robert", "William", "James", "John", "Michael", "Richard", "Thomas", "Christopher", "Anthony",
    "Daniel", "David", "Joseph", "Matthew", "Andrew", "Steven", "Stephen", "Edward", "Nicholas",
    "Jonathan", "Alexander", "Benjamin", "Samuel", "Kevin", "Peter", "Jason", "Gary", "Darren", "Lee",
    "Craig", "Wayne", "Paul", "Mark", "Simon", "Jordan", "Ryan", "Connor", "Kieran", "Dean", "Scott",
    "Shaun", "Carl", "Liam", "Mohammed", "Imran", "Tomasz", "Lewis", "Nathan", "Adam", "Jamal",
)  # fmt: skip
FEMALE_FIRST = (
    "Elizabeth", "Katherine", "Jennifer", "Rebecca", "Samantha", "Victoria", "Jessica", "Alexandra",
    "Margaret", "Susan", "Deborah", "Nicola", "Charlotte", "Abigail", "Amanda", "Kimberley", "Patricia",
    "Christine", "Danielle", "Stephanie", "Jacqueline", "Michelle", "Natalie", "Megan", "Gemma", "Laura",
    "Emma", "Sarah", "Hannah", "Amy", "Chloe", "Zoe", "Jade", "Kelly", "Leanne", "Claire", "Lisa",
    "Rachel", "Helen", "Lauren", "Sophie", "Alice", "Janet", "Jane", "Aisha", "Fatima", "Priya",
    "Agnieszka", "Shannon", "Courtney", "Kirsty", "Donna",
)  # fmt: skip

SURNAMES = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
    "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
    "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward",
    "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen", "James", "Scott",
    "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths", "Mitchell", "Kelly",
    "Cook", "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox",
    "Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh", "Begum", "Wilkinson",
    "Foster", "Chapman", "Powell", "Webb", "Rogers", "Gray", "Mason", "Ali", "Hunt", "Hussain", "Campbell",
    "Matthews", "Owen", "Palmer", "Holmes", "Mills", "Barnes", "Knight", "Lloyd", "Butler", "Russell",
    "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey", "Graham", "Pearson", "Ahmed",
    "Fletcher", "Walsh", "Kaur", "Gibson", "Howard", "Andrews", "Stewart", "Elliott", "Reynolds",
    "Saunders", "Payne", "Fox", "Ford", "Pearce", "Day", "Brooks", "West", "Lawrence", "Cole", "Atkinson",
    "Bradley", "Spencer", "Gill", "Dawson", "Ball", "Burton", "O'Brien", "Watts", "Rose", "Booth", "Perry",
    "Ryan", "Grant", "Wells", "Armstrong", "Francis", "Rees", "Hayes", "Hart", "Hudson", "Newman",
    "Barrett", "Webster", "Hunter", "Gregory", "Carr", "Lowe", "Page", "Marsh", "Riley", "Dunn", "Woods",
    "Parsons", "Berry", "Stone", "Reid", "Holland", "Hawkins", "Harding", "Porter", "Robertson", "Newton",
    "Oliver", "Reed", "Kennedy", "Williamson", "Bird", "Gardner", "Shah", "Dean", "Lane", "Cooke", "Bates",
    "Henderson", "Parry", "Burgess", "Bishop", "Walton", "Burns", "Nicholson", "Shepherd", "Ross", "Cross",
    "Long", "Freeman", "Warren", "Nicholls", "Hamilton", "Byrne", "Sutton", "McDonald", "Yates", "Hodgson",
    "Robson", "Curtis", "Hopkins", "O'Connor", "Harper", "Coleman", "Watkins", "Moss", "McCarthy",
    "Chambers", "O'Neill", "Griffin", "Sharp", "Hardy", "Wheeler", "Potter", "Osborne", "Johnston",
    "Gordon", "Doyle", "Wallace", "George", "Jordan", "Hutchinson", "Reeves", "Kowalski", "Nowak",
)  # fmt: skip

STREETS = (
    "Church", "Station", "Victoria", "Park", "Albert", "Queen", "Grange", "Manor", "Mill", "School", "King",
    "Windsor", "Highfield", "Springfield", "Green", "York", "Chapel", "Alexandra", "Stanley", "Beech",
    "Oak", "Willow", "Elm", "Cedar", "Hawthorn", "Meadow", "Orchard", "Brook", "Kingsway", "Valley",
)  # fmt: skip
STREET_TYPES = ("Road", "Street", "Lane", "Avenue", "Close", "Drive", "Way", "Crescent", "Grove", "Court")

# Force -> (postcode area, first district, last district, town) tuples.
FORCE_POSTCODES: dict[str, tuple[tuple[str, int, int, str], ...]] = {
    "AVS": (("BS", 1, 16, "Bristol"), ("BA", 1, 3, "Bath"), ("TA", 1, 3, "Taunton")),
    "BDS": (("LU", 1, 5, "Luton"), ("MK", 40, 45, "Bedford")),
    "CAM": (("CB", 1, 5, "Cambridge"), ("PE", 1, 7, "Peterborough")),
    "CHE": (("CW", 1, 12, "Crewe"), ("WA", 1, 8, "Warrington"), ("CH", 1, 4, "Chester")),
    "CTY": (("EC", 1, 4, "London"),),
    "CLE": (("TS", 1, 10, "Middlesbrough"), ("TS", 24, 27, "Hartlepool"), ("TS", 17, 20, "Stockton-on-Tees")),
    "CUM": (("CA", 1, 3, "Carlisle"), ("LA", 13, 14, "Barrow-in-Furness")),
    "DER": (("DE", 1, 24, "Derby"), ("S", 40, 45, "Chesterfield")),
    "DEC": (("EX", 1, 4, "Exeter"), ("PL", 1, 9, "Plymouth"), ("TR", 1, 4, "Truro"), ("TQ", 1, 5, "Torquay")),
    "DOR": (("BH", 1, 11, "Bournemouth"), ("DT", 1, 2, "Dorchester")),
    "DUR": (("DH", 1, 7, "Durham"), ("DL", 1, 3, "Darlington")),
    "DYP": (("SA", 31, 33, "Carmarthen"), ("SY", 23, 23, "Aberystwyth"), ("LD", 1, 1, "Llandrindod Wells")),
    "ESX": (("CM", 1, 3, "Chelmsford"), ("CO", 1, 4, "Colchester"), ("SS", 0, 9, "Southend-on-Sea")),
    "GLO": (("GL", 1, 4, "Gloucester"), ("GL", 50, 53, "Cheltenham")),
    "GMP": (("M", 1, 40, "Manchester"), ("BL", 1, 4, "Bolton"), ("OL", 1, 9, "Oldham"), ("WN", 1, 6, "Wigan")),
    "GWE": (("NP", 10, 20, "Newport"),),
    "HAM": (("SO", 14, 19, "Southampton"), ("PO", 1, 6, "Portsmouth")),
    "HRT": (("AL", 1, 4, "St Albans"), ("SG", 1, 2, "Stevenage"), ("WD", 17, 19, "Watford")),
    "HUM": (("HU", 1, 9, "Hull"), ("DN", 31, 37, "Grimsby")),
    "KNT": (("ME", 14, 16, "Maidstone"), ("CT", 1, 2, "Canterbury"), ("TN", 1, 4, "Tunbridge Wells")),
    "LAN": (("PR", 1, 5, "Preston"), ("BB", 1, 2, "Blackburn"), ("FY", 1, 4, "Blackpool"), ("LA", 1, 4, "Lancaster")),
    "LEI": (("LE", 1, 5, "Leicester"),),
    "LIN": (("LN", 1, 6, "Lincoln"), ("PE", 21, 21, "Boston")),
    "MER": (("L", 1, 36, "Liverpool"), ("CH", 41, 49, "Birkenhead")),
    "MPS": (("E", 1, 18, "London"), ("N", 1, 22, "London"), ("SE", 1, 28, "London"), ("SW", 1, 20, "London")),
    "NFK": (("NR", 1, 7, "Norwich"),),
    "NWA": (("LL", 11, 14, "Wrexham"), ("LL", 57, 57, "Bangor")),
    "NYK": (("YO", 1, 32, "York"), ("HG", 1, 2, "Harrogate")),
    "NTH": (("NN", 1, 5, "Northampton"),),
    "NBR": (("NE", 1, 15, "Newcastle upon Tyne"), ("SR", 1, 6, "Sunderland"), ("NE", 61, 63, "Morpeth")),
    "NOT": (("NG", 1, 25, "Nottingham"),),
    "SWA": (("CF", 10, 24, "Cardiff"), ("SA", 1, 9, "Swansea")),
    "SYK": (("S", 1, 14, "Sheffield"), ("DN", 1, 12, "Doncaster")),
    "STF": (("ST", 1, 7, "Stoke-on-Trent"), ("ST", 16, 17, "Stafford")),
    "SUF": (("IP", 1, 4, "Ipswich"),),
    "SUR": (("GU", 1, 4, "Guildford"), ("RH", 1, 2, "Redhill")),
    "SSX": (("BN", 1, 3, "Brighton"), ("RH", 10, 11, "Crawley")),
    "TVP": (("OX", 1, 4, "Oxford"), ("RG", 1, 6, "Reading"), ("MK", 1, 15, "Milton Keynes")),
    "WAR": (("CV", 34, 37, "Warwick"),),
    "WMR": (("WR", 1, 5, "Worcester"), ("HR", 1, 4, "Hereford"), ("TF", 1, 7, "Telford")),
    "WMP": (
        ("B", 1, 45, "Birmingham"), ("CV", 1, 6, "Coventry"), ("WV", 1, 14, "Wolverhampton"), ("DY", 1, 9, "Dudley"),
    ),
    "WYK": (
        ("LS", 1, 17, "Leeds"), ("BD", 1, 10, "Bradford"), ("HD", 1, 5, "Huddersfield"), ("WF", 1, 6, "Wakefield"),
    ),
    "WIL": (("SN", 1, 5, "Swindon"), ("SP", 1, 2, "Salisbury")),
}  # fmt: skip

# Inward-code unit letters used by Royal Mail (C, I, K, M, O, V are never used).
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

DESTINATIONS = ("ES", "FR", "PT", "IE", "PL", "RO", "TR", "GR", "NL", "DE", "IT", "US", "AE", "IN", "PK", "CY")
PORTS = ("Heathrow", "Gatwick", "Manchester Airport", "Birmingham Airport", "Dover", "Stansted",
         "Newcastle Airport", "Luton", "Bristol Airport", "Holyhead")  # fmt: skip
