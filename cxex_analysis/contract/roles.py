"""What an action's owner may be: a role, never a person.

The contract cannot recognise every name, e-mail address or phone number, so it does not try:
an ``owner_role`` is accepted when every word of it is a role word (this vocabulary, the words
of the organisation's regions and unit types, and the words of its own ``roles`` table), and
a name is then simply a word that is not one ("Site Manager Priya Natarajan").
"""

from __future__ import annotations

#: The words an owner role is made of ("store manager", "Head of Customer Experience", "HR
#: business partner"): an owner is a role, never a person, so every word of ``owner_role`` must
#: be one of these, a word of a region or unit type of the units file, or a word of the
#: organisation's own ``roles`` file. Names, e-mail addresses and phone numbers are not
#: recognised as such (no list of names is complete): they are simply not role words.
ROLE_WORDS = (
    # who
    "manager", "managers", "management", "lead", "leads", "leader", "leaders", "leadership",
    "head", "heads", "director", "directors", "chief", "supervisor", "supervisors", "officer",
    "owner", "owners", "coordinator", "coach", "partner", "partners", "team", "teams", "staff",
    "committee", "council", "board", "group", "champion", "champions", "agent", "agents",
    "advisor", "adviser", "analyst", "specialist", "consultant", "assistant", "deputy",
    "executive", "executives", "president", "vice", "vp", "svp", "evp", "ceo", "coo", "cfo",
    "cio", "cto", "chro", "cxo", "cmo", "md", "gm", "hr", "hrbp", "it", "ops", "pmo", "qa",
    "representative", "rep", "steward", "facilitator", "trainer", "administrator", "admin",
    "controller", "planner", "scheduler", "sponsor", "member", "members", "employees",
    "employee", "colleagues", "everyone", "all", "crew", "squad", "unit", "units", "office",
    "department", "dept", "division", "function", "workforce", "associate", "associates",
    "principal", "senior", "junior", "interim", "acting", "general", "keyholder",
    "nurse", "matron", "pharmacist", "physician", "clinician", "doctor", "engineer",
    "technician", "cashier", "receptionist", "concierge", "host",
    # where and what
    "store", "stores", "shop", "branch", "branches", "centre", "center", "centres", "centers",
    "call", "contact", "regional", "region", "area", "district", "zone", "site", "sites",
    "local", "national", "global", "country", "field", "floor", "front", "back", "line",
    "frontline", "shift", "night", "day", "weekend", "service", "services", "customer",
    "customers", "client", "clients", "guest", "guests", "patient", "patients",
    "experience", "cx", "ex", "people", "culture", "talent", "human", "resources", "learning",
    "development", "l", "d", "training", "quality", "compliance", "safety", "health",
    "wellbeing", "finance", "financial", "marketing", "sales", "retail", "commercial",
    "operations", "operational", "operating", "support", "technical", "technology", "digital",
    "data", "insight", "insights", "analytics", "research", "product", "products", "project",
    "programme", "program", "change", "transformation", "improvement", "continuous",
    "excellence", "process", "strategy", "planning", "facilities", "facility",
    "logistics", "supply", "chain", "warehouse", "distribution", "inventory", "stock",
    "merchandising", "visual", "brand", "communications", "internal", "external", "business",
    "corporate", "hq", "desk", "helpdesk", "complaints",
    "retention", "onboarding", "recruitment", "payroll", "benefits", "reward", "rewards",
    "engagement", "relations", "legal", "risk", "audit", "security", "clinical",
    "care", "nursing", "pharmacy", "clinic", "hospital", "ward", "practice", "restaurant",
    "kitchen", "hotel",
    # joining words
    "and", "or", "of", "the", "for", "in", "on", "at", "to", "with", "a", "an", "per", "by",
    "s", "co", "vs",
    # a few other languages' commonest role words
    "gerente", "jefe", "jefa", "responsable", "directeur", "directrice", "directora", "chef",
    "leiter", "leiterin", "leitung", "filialleiter", "filialleiterin", "teamleiter",
    "teamleiterin", "encargado", "encargada", "coordinador", "coordinadora", "equipo",
    "tienda", "sucursal", "magasin", "agence", "equipe", "équipe", "magasins", "filiale",
    "marktleiter", "abteilungsleiter", "de", "del", "la", "le", "les", "des", "du", "der",
    "die", "das", "und", "et", "y",
)
