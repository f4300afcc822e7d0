"""The input data contract as data (``docs/data-contract.md`` is generated from it).

Each table is a :class:`Table` of :class:`Column` rules. :mod:`cxex_analysis.contract.rules`
turns these rules into SQL checks, so the contract is written once and every rule is enforced from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Kinds of column value and what the user is told is expected.
KIND_EXPECTED = {
    "string": "text",
    "text": "free text",
    "date": "an ISO 8601 date such as 2025-03-31",
    "timestamp": "an ISO 8601 timestamp such as 2025-03-31T14:05:00 (a time zone may follow)",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true/false (also yes/no, y/n, 1/0)",
}


#: SQL type each kind is stored as in the warehouse.
KIND_SQL_TYPE = {
    "string": "VARCHAR",
    "text": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "integer": "INTEGER",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
}


@dataclass(frozen=True)
class Column:
    """One column's rules.

    Parameters
    ----------
    name : str
        Normalised column name (lower case, underscores).
    kind : str
        One of :data:`KIND_EXPECTED`.
    required : bool
        The column must be present in the file.
    nullable : bool
        A blank value is allowed.
    allowed : tuple of str, optional
        Allowed values (compared case-insensitively, stored lower case).
    minimum, maximum : float, optional
        Inclusive range for numbers.
    unique : bool
        No two accepted rows share a value.
    references : (table, column), optional
        Value must exist among the accepted rows of that table.
    not_future : bool
        A timestamp may not lie after the time of the check.
    first_of_month : bool
        A date must be the first day of a month.
    label : bool
        The organisation's own label (a region, a unit type): free text, trimmed, matched
        ignoring case and repeated spaces, and kept as first written in the file.
    """

    name: str
    kind: str
    required: bool = False
    nullable: bool = True
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    unique: bool = False
    references: tuple[str, str] | None = None
    not_future: bool = False
    first_of_month: bool = False
    label: bool = False

    def expected(self) -> str:
        """Plain description of a valid value, for error messages."""
        if self.allowed:
            text = "one of " + ", ".join(self.allowed)
        elif self.kind == "integer" and self.minimum is not None and self.maximum is not None:
            text = f"a whole number from {self.minimum:g} to {self.maximum:g}"
        elif self.kind in ("integer", "number") and self.minimum is not None:
            text = f"{KIND_EXPECTED[self.kind]} of at least {self.minimum:g}"
        else:
            text = KIND_EXPECTED[self.kind]
        if not self.nullable:
            text += ", not blank"
        if self.unique:
            text += ", unique"
        if self.references:
            text += f", present in {self.references[0]}.{self.references[1]}"
        if self.not_future:
            text += ", not in the future"
        if self.first_of_month:
            text += ", the first day of a month"
        if self.label:
            text += (" — the organisation's own words (\"Clinic\", \"Call Centre (UK)\", "
                     "any script): matched ignoring case and repeated spaces, shown as first written")
        return text


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row, written as SQL over typed values.

    ``bad_sql`` is true when the row breaks the rule; typed column values are available as
    ``t_<column>`` (text columns trimmed, blanks as NULL; a contract column the file lacks
    reads as NULL). The rule is checked when the ``needs`` columns are in the file.
    """

    column: str
    bad_sql: str
    reason: str
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    """One contract table."""

    name: str
    columns: tuple[Column, ...]
    required: bool = False
    #: columns matched by prefix (``eng_*``) share these rules
    prefix_columns: dict[str, Column] = field(default_factory=dict)
    #: at least this many prefix columns must be present (file-level)
    min_prefix_columns: dict[str, int] = field(default_factory=dict)
    #: these columns together are unique
    unique_together: tuple[str, ...] = ()
    #: at least one of these must be present as columns (file-level)
    any_column_of: tuple[str, ...] = ()
    #: at least one of these must be non-blank in each row
    any_value_of: tuple[str, ...] = ()
    row_rules: tuple[RowRule, ...] = ()
    #: a file holding only a header is unusable
    needs_rows: bool = False

    def known(self, name: str) -> Column:
        """The column ``name``, which the caller knows the table has (a file's column mapped
        to it); KeyError otherwise."""
        found = self.column(name)
        if found is None:
            raise KeyError(f"table {self.name} has no column {name!r}")
        return found

    def column(self, name: str) -> Column | None:
        for col in self.columns:
            if col.name == name:
                return col
        for prefix, template in self.prefix_columns.items():
            if name.startswith(prefix) and len(name) > len(prefix):
                return Column(name=name, kind=template.kind, required=False,
                              nullable=template.nullable, allowed=template.allowed,
                              minimum=template.minimum, maximum=template.maximum)
        return None


EMPLOYEE_ROLES = ("frontline", "back_office", "manager")


CHANNELS = ("store", "phone", "chat", "web", "other")

#: What question a comment answers: why the score, what to improve, or anything.
COMMENT_PROMPTS = ("why_score", "improve", "general")


DESIGNS = ("randomized", "staggered", "observational")


ARMS = ("treatment", "control")


#: Metrics a pilot's ``primary_outcome`` may name.
METRIC_NAMES = (
    "nps", "csat", "ces", "resolved_first_contact", "engagement_index", "pct_favourable",
    "enps", "revenue", "customers_lost", "churn_rate", "employees_left", "exit_rate",
    "cost_to_serve", "complaints", "repeat_contacts", "revenue_per_customer",
)


def label_key(sql: str) -> str:
    """SQL of the key an organisation's label is matched by: lower case, spaces collapsed."""
    return f"lower(regexp_replace({sql}, '\\s+', ' ', 'g'))"


def _pseudonymous(column: str) -> RowRule:
    """A key that must be pseudonymous: a value that looks like an e-mail address is
    quarantined (a name cannot be told from a key by its look; the contract asks for keys)."""
    # the pattern only where an @ is (a key rarely has one): 10 million keys checked in 0.3 s
    return RowRule(column, rf"CASE WHEN strpos(t_{column}, '@') > 0 THEN regexp_matches("
                           rf"t_{column}, '[^@\s]+@[^@\s]+\.[a-zA-Z]{{2,}}') ELSE false END",
                   "looks like an e-mail address (expected a pseudonymous key)", needs=(column,))


UNITS = Table(
    name="units",
    required=True,
    needs_rows=True,
    columns=(
        Column("unit_id", "string", required=True, nullable=False, unique=True),
        Column("unit_name", "string"),
        Column("region", "string", required=True, nullable=False, label=True),
        Column("unit_type", "string", required=True, nullable=False, label=True),
        Column("opened_on", "date"),
        Column("headcount", "integer", minimum=0),
    ),
)


EMPLOYEE_SURVEY = Table(
    name="employee_survey",
    needs_rows=True,
    columns=(
        Column("response_id", "string", required=True, nullable=False, unique=True),
        Column("wave", "date", required=True, nullable=False),
        Column("unit_id", "string", required=True, nullable=False, references=("units", "unit_id")),
        Column("role", "string", required=True, nullable=False, allowed=EMPLOYEE_ROLES),
        Column("tenure_band", "string"),
        Column("enps", "integer", minimum=0, maximum=10),
        Column("comment", "text"),
        Column("comment_prompt", "string", allowed=COMMENT_PROMPTS),
        Column("employee_key", "string"),
    ),
    prefix_columns={"eng_": Column("eng_", "integer", minimum=1, maximum=5)},
    min_prefix_columns={"eng_": 3},
    row_rules=(_pseudonymous("employee_key"),),
)


CUSTOMER_SURVEY = Table(
    name="customer_survey",
    needs_rows=True,
    columns=(
        Column("response_id", "string", required=True, nullable=False, unique=True),
        Column("responded_at", "timestamp", required=True, nullable=False, not_future=True),
        Column("unit_id", "string", required=True, nullable=False, references=("units", "unit_id")),
        Column("channel", "string", required=True, nullable=False, allowed=CHANNELS),
        Column("nps", "integer", minimum=0, maximum=10),
        Column("csat", "integer", minimum=1, maximum=5),
        Column("ces", "integer", minimum=1, maximum=7),
        Column("resolved_first_contact", "boolean"),
        Column("comment", "text"),
        Column("comment_prompt", "string", allowed=COMMENT_PROMPTS),
        Column("customer_key", "string"),
    ),
    any_column_of=("nps", "csat", "ces"),
    any_value_of=("nps", "csat", "ces"),
    row_rules=(_pseudonymous("customer_key"),),
)


OUTCOME_METRICS = ("revenue", "customers_active", "customers_lost", "employees",
                   "employees_left", "cost_to_serve", "complaints", "repeat_contacts")


UNIT_OUTCOMES = Table(
    name="unit_outcomes",
    columns=(
        Column("unit_id", "string", required=True, nullable=False, references=("units", "unit_id")),
        Column("period", "date", required=True, nullable=False, first_of_month=True),
        Column("revenue", "number", minimum=0),
        Column("customers_active", "integer", minimum=0),
        Column("customers_lost", "integer", minimum=0),
        Column("employees", "integer", minimum=0),
        Column("employees_left", "integer", minimum=0),
        Column("cost_to_serve", "number", minimum=0),
        Column("complaints", "integer", minimum=0),
        Column("repeat_contacts", "integer", minimum=0),
    ),
    unique_together=("unit_id", "period"),
    any_column_of=OUTCOME_METRICS,
    row_rules=(
        RowRule("customers_lost", "t_customers_lost > t_customers_active",
                "customers_lost is larger than customers_active (expected lost <= active)",
                needs=("customers_lost", "customers_active")),
    ),
)


#: What a customer-month of ``customer_outcomes`` may record (one at least).
CUSTOMER_OUTCOME_METRICS = ("revenue", "active", "churned_on")


CUSTOMER_OUTCOMES = Table(
    name="customer_outcomes",
    columns=(
        Column("customer_key", "string", required=True, nullable=False),
        Column("unit_id", "string", required=True, nullable=False, references=("units", "unit_id")),
        Column("period", "date", required=True, nullable=False, first_of_month=True),
        Column("revenue", "number", minimum=0),
        Column("active", "boolean"),
        Column("churned_on", "date"),
        Column("contacts", "integer", minimum=0),
        Column("cost_to_serve", "number", minimum=0),
    ),
    unique_together=("customer_key", "period"),
    any_column_of=CUSTOMER_OUTCOME_METRICS,
    row_rules=(
        _pseudonymous("customer_key"),
        RowRule("active", "t_active AND t_churned_on < t_period",
                "active in a month after the customer left (expected active false, or no "
                "churned_on, from the month after churned_on)", needs=("active", "churned_on")),
    ),
)


def _scores(name: str, measures: str, measure_sql: str) -> Table:
    """A platform's unit-level export: one row per unit, period and measure (issue 37)."""
    return Table(
        name=name,
        columns=(
            Column("unit_id", "string", required=True, nullable=False,
                   references=("units", "unit_id")),
            Column("period", "date", required=True, nullable=False),
            Column("measure", "string", required=True, nullable=False),
            Column("value", "number", required=True, nullable=False),
            Column("n", "integer", required=True, nullable=False, minimum=1),
            Column("sd", "number", minimum=0),
            Column("scale_min", "number"),
            Column("scale_max", "number"),
        ),
        unique_together=("unit_id", "period", "measure"),
        row_rules=(
            RowRule("measure", f"NOT ({measure_sql})", f"not a measure (expected {measures})"),
            RowRule("scale_max", "t_scale_max <= t_scale_min",
                    "scale_max is not above scale_min (expected the scale's lowest and highest "
                    "value, lowest first)", needs=("scale_min", "scale_max")),
            RowRule("value", "t_value < t_scale_min OR t_value > t_scale_max",
                    "outside the scale (expected a value from scale_min to scale_max)",
                    needs=("scale_min", "scale_max")),
        ),
    )


EMPLOYEE_SCORES = _scores(
    "employee_scores", "engagement, enps, pct_favourable or an eng_* item",
    "lower(t_measure) IN ('engagement', 'enps', 'pct_favourable') "
    "OR lower(t_measure) LIKE 'eng\\_%' ESCAPE '\\'")

CUSTOMER_SCORES = _scores("customer_scores", "nps, csat or ces",
                          "lower(t_measure) IN ('nps', 'csat', 'ces')")


UNIT_METRICS = Table(
    name="unit_metrics",
    columns=(
        Column("unit_id", "string", required=True, nullable=False, references=("units", "unit_id")),
        Column("period", "date", required=True, nullable=False),
        Column("metric", "string", required=True, nullable=False),
        Column("value", "number", required=True, nullable=False),
        Column("better", "string", required=True, nullable=False, allowed=("higher", "lower")),
        Column("unit", "string"),
    ),
    unique_together=("unit_id", "period", "metric"),
)


PILOTS = Table(
    name="pilots",
    columns=(
        Column("pilot_id", "string", required=True, nullable=False, unique=True),
        Column("name", "string"),
        Column("description", "text"),
        Column("design", "string", required=True, nullable=False, allowed=DESIGNS),
        Column("primary_outcome", "string", allowed=METRIC_NAMES),
        Column("cost_per_unit", "number", minimum=0),
        Column("currency", "string"),
    ),
)


PILOT_ASSIGNMENTS = Table(
    name="pilot_assignments",
    columns=(
        Column("pilot_id", "string", required=True, nullable=False,
               references=("pilots", "pilot_id")),
        Column("unit_id", "string", required=True, nullable=False, references=("units", "unit_id")),
        Column("arm", "string", required=True, nullable=False, allowed=ARMS),
        Column("start_date", "date"),
    ),
    unique_together=("pilot_id", "unit_id"),
    row_rules=(
        RowRule("start_date", "t_arm = 'control' AND t_start_date IS NOT NULL",
                "a control unit has a start_date (expected empty for controls)",
                needs=("arm", "start_date")),
        RowRule("start_date", "t_arm = 'treatment' AND t_start_date IS NULL",
                "a treatment unit has no start_date (expected the date it started)",
                needs=("arm", "start_date")),
    ),
)


GROUP_BYS = ("unit", "region", "unit_type")


ACTION_STATUSES = ("planned", "in_progress", "done", "dropped")


#: Customer scores an action plan may focus on (besides the engagement items).
CUSTOMER_FOCUSES = ("nps", "csat", "ces")


#: Row rules may name other tables' accepted rows: these tokens are replaced by the accepted
#: units relation and by the SQL list of the employee survey's engagement item columns.
ACCEPTED_UNITS = "__accepted_units__"
ENGAGEMENT_ITEMS = "__engagement_items__"


#: Replaced, when a rule is checked, by the SQL list of every role word: the vocabulary of
#: :mod:`cxex_analysis.contract.roles`, the words of the accepted units' regions and unit
#: types, and those of the accepted roles.
ROLE_WORDS_LIST = "__role_words__"


#: An owner that is not a role: a digit or an @ (a phone number, an e-mail address), or a
#: word that is no role word ("Jane Smith", "Site Manager Priya Natarajan").
_NOT_A_ROLE_SQL = (
    r"regexp_matches(t_owner_role, '[0-9@]') OR len(list_filter("
    r"regexp_split_to_array(lower(t_owner_role), '[^\pL\pM]+'), "
    rf"lambda word: word <> '' AND NOT list_contains({ROLE_WORDS_LIST}, word))) > 0"
)


ROLES = Table(
    name="roles",
    columns=(
        Column("role", "string", required=True, nullable=False, unique=True),
    ),
)


ACTION_PLANS = Table(
    name="action_plans",
    columns=(
        Column("action_id", "string", required=True, nullable=False, unique=True),
        Column("group_by", "string", required=True, nullable=False, allowed=GROUP_BYS),
        Column("group", "string", required=True, nullable=False),
        Column("focus", "string", required=True, nullable=False),
        Column("action", "text"),
        Column("owner_role", "string"),
        Column("created_on", "date", required=True, nullable=False, not_future=True),
        Column("due_on", "date"),
        Column("status", "string", required=True, nullable=False, allowed=ACTION_STATUSES),
        Column("completed_on", "date", not_future=True),
    ),
    row_rules=(
        RowRule("group",
                f"(t_group_by = 'unit' AND t_group NOT IN (SELECT unit_id FROM {ACCEPTED_UNITS}))"
                f" OR (t_group_by = 'region' AND {label_key('t_group')} NOT IN "
                f"(SELECT {label_key('region')} FROM {ACCEPTED_UNITS} WHERE region IS NOT NULL))"
                f" OR (t_group_by = 'unit_type' AND {label_key('t_group')} NOT IN "
                f"(SELECT {label_key('unit_type')} FROM {ACCEPTED_UNITS} WHERE unit_type IS NOT NULL))",
                "unknown group (expected a unit_id, region or unit type present in units, "
                "as group_by says)", needs=("group_by", "group")),
        RowRule("focus",
                f"NOT (lower(t_focus) IN ('nps', 'csat', 'ces') OR lower(t_focus) IN "
                f"{ENGAGEMENT_ITEMS})",
                "unknown focus (expected an engagement item column of the employee survey, "
                "such as eng_tools, or nps, csat or ces)", needs=("focus",)),
        RowRule("owner_role", _NOT_A_ROLE_SQL,
                "not a role (expected a role such as 'store manager' or 'head of customer "
                "experience', never a person's name, e-mail address or phone number; the "
                "organisation's own role words go in the roles table)", needs=("owner_role",)),
        RowRule("due_on", "t_due_on < t_created_on",
                "due before it was created (expected due_on on or after created_on)",
                needs=("due_on", "created_on")),
        RowRule("completed_on", "t_status = 'done' AND t_completed_on IS NULL",
                "a done action has no completed_on (expected the date it was completed)",
                needs=("status",)),
        RowRule("completed_on", "t_status <> 'done' AND t_completed_on IS NOT NULL",
                "completed_on is set but the status is not done (expected it empty)",
                needs=("status", "completed_on")),
        RowRule("completed_on", "t_completed_on < t_created_on",
                "completed before it was created (expected completed_on on or after "
                "created_on)", needs=("completed_on", "created_on")),
    ),
)


#: The measures a norms file may give percentiles of (an item's is its % favourable).
NORM_MEASURES = ("engagement_index", "pct_favourable", "enps", "nps", "csat")


NORMS = Table(
    name="norms",
    columns=(
        Column("measure", "string", required=True, nullable=False, allowed=NORM_MEASURES),
        Column("item", "string"),
        Column("p25", "number", required=True, nullable=False, minimum=-100, maximum=100),
        Column("p50", "number", required=True, nullable=False, minimum=-100, maximum=100),
        Column("p75", "number", required=True, nullable=False, minimum=-100, maximum=100),
        Column("p90", "number", required=True, nullable=False, minimum=-100, maximum=100),
        Column("source", "string", required=True, nullable=False),
        Column("year", "integer", minimum=1900, maximum=2200),
    ),
    unique_together=("measure", "item"),
    row_rules=(
        RowRule("p50", "t_p50 < t_p25 OR t_p75 < t_p50 OR t_p90 < t_p75",
                "percentiles out of order (expected p25 <= p50 <= p75 <= p90)",
                needs=("p25", "p50", "p75", "p90")),
        RowRule("item", "t_item IS NOT NULL AND (t_measure <> 'pct_favourable' OR "
                        "NOT starts_with(lower(t_item), 'eng_'))",
                "an item's norm is its % favourable (expected measure pct_favourable and an "
                "engagement item such as eng_tools)", needs=("item", "measure")),
    ),
)


#: Tables in the order they are checked (a table's references come before it).
TABLES: tuple[Table, ...] = (
    UNITS, PILOTS, EMPLOYEE_SURVEY, CUSTOMER_SURVEY, UNIT_OUTCOMES, CUSTOMER_OUTCOMES,
    EMPLOYEE_SCORES, CUSTOMER_SCORES, UNIT_METRICS, PILOT_ASSIGNMENTS, ROLES, ACTION_PLANS,
    NORMS,
)


TABLE_BY_NAME = {table.name: table for table in TABLES}


#: Needed for the analyses: units always, and at least one of the two surveys.
SURVEY_TABLES = ("employee_survey", "customer_survey")

#: a platform's unit-level exports: a data set with one of them needs no respondent table
SCORE_TABLES = ("employee_scores", "customer_scores")


#: The dates a survey, a pilot or an action can have (0001-01-01 and 9999-12-31 are
#: placeholders of other systems, not dates).
EARLIEST, LATEST = "1900-01-01", "2100-12-31"
