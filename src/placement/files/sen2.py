"""Import children from the DfE's SEN2 person-level return.

Reads the return as an LA produces it, in either of two forms:

- the DfE COLLECT "Blade" CSV export: a folder with one CSV per module
  (``Blade-Export_<date>_person.csv``, ``..._requests.csv``, ``..._assessment.csv``,
  ``..._namedplan.csv``, ``..._plandetail.csv``, ``..._activeplans.csv``,
  ``..._placementdetail.csv``, ``..._senneed.csv``; any file whose name ends with the module's
  name, without regard to case, spaces or underscores);
- the pre-submission Excel workbook (``.xlsx``): one sheet per module (``Person``,
  ``Requests``, ``Assessments``, ``Named plan``, ``Plan detail``, ``Active plans``,
  ``Placement detail``, ``SEN need``).

Headers are matched without regard to case, spaces or underscores (``PersonTableID`` is
``persontableid``; reading the return: :mod:`placement.files.sen2_return`). The modules link
by their table ids: Person (``persontableid``) ->
Requests (``requeststableid``) -> Active plans (``activeplanstableid``) -> Placement detail
and SEN need; Requests -> Assessments -> Named plan -> Plan detail.

Each person with an active plan becomes one child of ``children.csv``: primary need (SEN need of
rank 1), secondary needs (the other ranks), national curriculum year from the date of birth in
the policy's academic year, sex, the current setting from the open placement of rank 1 (URN,
or UKPRN; ``<URN>-SU`` / ``<URN>-RP`` for an SEN unit or resourced provision), and a home
point from the LA's postcode lookup (ONS Postcode Directory columns). Names, UPNs, ULNs,
postcodes and dates of birth never enter the child: its id is a keyed-HMAC pseudonym (a new
random key per import), and the pseudonym -> person mapping is returned separately for the
caller to write only where asked.

Bad input (a module or column missing, a date, number or code that cannot be read, a file not
found, a workbook that is not one) is an :class:`~placement.files.errors.InputError` naming the
file or sheet, the row and the column. Records that are well-formed but cannot make a child (no
active plan, no need of rank 1, a postcode not in the lookup, ...) are listed in the import's
``unused``, by module and row; every assumption is listed in ``assumptions``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import re
import secrets
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from placement.area import suggest
from placement.domain import (
    MAX_NC_YEAR,
    MIN_NC_YEAR,
    Child,
    DomainError,
    Location,
    Need,
    SettingKind,
    Sex,
    nc_year_from_birth,
)
from placement.files.csv_reader import CsvRow
from placement.files.postcodes import PostcodeBook, postcode_key
from placement.files.sen2_return import MODULES, SEX_COLUMNS, Table

__all__ = [
    "BAND_BY_KIND",
    "BAND_NO_SETTING",
    "Sen2Import",
    "Sen2Options",
    "import_sen2",
    "mapping_csv_text",
]

_SEX = {"M": Sex.MALE, "F": Sex.FEMALE, "MALE": Sex.MALE, "FEMALE": Sex.FEMALE}
_TRUE = frozenset({"true", "1", "y", "yes"})
_FALSE = frozenset({"false", "0", "n", "no", ""})
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_BLADE_DATE = re.compile(r"^(\d{4})-([A-Za-z]{3})-(\d{1,2})(?:[ T].*)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?$")
_UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})(?: .*)?$")
_ESTABLISHMENT = re.compile(r"^\d{5,8}$")  # URN (6 digits) or UKPRN (8)
# Need band by the kind of the current setting: SEN2 records none (assumption; it matches the
# bands each kind is set up for in models/suitability.toml and the generator's BAND_P modes).
BAND_BY_KIND: Mapping[SettingKind, int] = {
    SettingKind.MAINSTREAM: 2,
    SettingKind.FE_COLLEGE: 2,
    SettingKind.INDEPENDENT_MAINSTREAM: 2,
    SettingKind.RESOURCED_PROVISION: 3,
    SettingKind.SEN_UNIT: 3,
    SettingKind.ALTERNATIVE_PROVISION: 3,
    SettingKind.SPECIAL_LA: 4,
    SettingKind.SPECIAL_ACADEMY: 4,
    SettingKind.NON_MAINTAINED_SPECIAL: 4,
    SettingKind.INDEPENDENT_SPECIAL: 4,
    SettingKind.SPECIALIST_POST16: 4,
}
BAND_NO_SETTING = 3


# -- values ----------------------------------------------------------------------------------


def _date(row: CsvRow, column: str) -> dt.date | None:
    text = row[column]
    if not text:
        return None
    try:
        if m := _ISO_DATE.match(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if (m := _BLADE_DATE.match(text)) and m[2].lower() in _MONTHS:
            return dt.date(int(m[1]), _MONTHS[m[2].lower()], int(m[3]))
        if m := _UK_DATE.match(text):
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        pass
    raise row.fail(
        column,
        f"{text!r} is not a date (write 2015-03-31, 2015-Mar-31 as COLLECT exports, or 31/03/2015)",
    )


def _int(row: CsvRow, column: str) -> int | None:
    text = row[column]
    if not text:
        return None
    try:
        f = float(text)
    except ValueError:
        f = float("nan")
    if not f.is_integer():
        raise row.fail(column, f"{text!r} is not a whole number")
    return int(f)


def _bool(row: CsvRow, column: str) -> bool:
    text = row[column].lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise row.fail(column, f"{row[column]!r} is not true/false (or 1/0, Y/N)")


def _need(row: CsvRow, column: str) -> Need:
    text = row[column]
    code = text.upper().replace(" ", "")
    try:
        return Need(code)
    except ValueError:
        raise row.fail(
            column,
            f"{text!r} is not a SEN2 need code{suggest(code, [n.value for n in Need])}",
        ) from None


def _establishment(row: CsvRow, column: str) -> str:
    text = row[column]
    if text and not _ESTABLISHMENT.match(text):
        raise row.fail(column, f"{text!r} is not a URN or UKPRN (5 to 8 digits)")
    return text


# -- building children -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sen2Options:
    """How the import reads the return.

    ``academic_year_start``: the policy's year (placements start that September): the child's
    national curriculum year is its age on 31 August of it, minus 4. ``census_date``: a
    placement is open if it has no leaving date or leaves after it (default: 16 January of
    ``academic_year_start``, the SEN2 census date's usual day). ``settings``: the area's
    setting ids and kinds (``settings.csv``): a current setting not in it is dropped (the
    child moves) and reported; without it ids are written as the return gives them.
    ``need_band``: a band for every child, or ``None`` for the band by the current setting's
    kind (:data:`BAND_BY_KIND`).
    """

    academic_year_start: int = 2026
    census_date: dt.date | None = None
    settings: Mapping[str, SettingKind] | None = None
    need_band: int | None = None
    key: bytes | None = None


@dataclass(frozen=True, slots=True)
class Sen2Import:
    """Children built from a return, the pseudonym mapping, and what was assumed or unused.

    ``mapping`` rows are ``(child_id, persontableid, upn, uln)``: write them only where the
    user asks (they re-identify the children). ``assumptions`` and ``unused`` never hold a name,
    UPN, ULN, postcode or date of birth: records are named by module, file and row.
    """

    children: tuple[Child, ...]
    mapping: tuple[tuple[str, str, str, str], ...]
    assumptions: tuple[str, ...]
    unused: tuple[str, ...]
    counts: Mapping[str, int] = field(default_factory=dict)


def import_sen2(
    modules: Mapping[str, Table], postcodes: PostcodeBook, options: Sen2Options
) -> Sen2Import:
    """Children from the modules of a return
    (:func:`~placement.files.sen2_return.read_modules`). Pure: reads no file.

    The steps: link the modules by their table ids, read every typed value (so bad input
    fails wherever it is), then make each person with an active plan a child, listing every
    record not used and every assumption.

    Raises
    ------
    InputError
        A key column empty, a date, number, boolean, code or URN/UKPRN that cannot be read,
        or a table id that appears twice.
    """
    year = options.academic_year_start
    census = options.census_date or dt.date(year, 1, 16)
    log = _Log()
    links = _link(modules, log)
    run = _Run(
        links=links,
        values=_read_values(modules, links),
        postcodes=postcodes,
        options=options,
        year=year,
        census=census,
        key=options.key or secrets.token_bytes(32),
        log=log,
    )
    children: list[Child] = []
    mapping: list[tuple[str, str, str, str]] = []
    for pid, prow in links.persons.items():
        made = run.child(pid, prow)
        if made is not None:
            children.append(made[0])
            mapping.append(made[1])
    log.notes[:0] = _general_notes(year, census, log.bands)
    if run.values.transfer_col:
        log.notes.append(
            f"phasetransferduedate in {year} (on or after the census date): move_requested "
            "(the plan must name a setting for the new phase)"
        )
    if options.settings is None:
        log.notes.append(
            "no settings.csv: current settings written as the return gives them; each must be "
            "a setting_id of the area's settings.csv"
        )
    log.unused.sort(key=_by_place)
    log.counts["children"] = len(children)
    log.counts["persons"] = len(links.persons)
    return Sen2Import(
        children=tuple(sorted(children, key=lambda c: c.child_id)),
        mapping=tuple(sorted(mapping)),
        assumptions=tuple(log.notes),
        unused=tuple(log.unused),
        counts=dict(log.counts),
    )


@dataclass(slots=True)
class _Log:
    """What an import records as it goes: records not used, assumptions, counts, and the
    children by how their need band was chosen."""

    unused: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    bands: Counter[str] = field(default_factory=Counter)

    def drop(self, line: str) -> None:
        """A person who cannot be a child."""
        self.unused.append(line)
        self.counts["unusable"] += 1


def _at(row: CsvRow) -> str:
    return f"{row.file} row {row.line}"


def _by_place(line: str) -> tuple[int, str, int]:
    """An unused record's place in the report: by module, file or sheet, and row."""
    m = re.match(r"^([^:]+): (.*?) row (\d+):", line)
    return (_MODULE_ORDER.get(m[1], 99), m[2], int(m[3])) if m else (99, line, 0)


_MODULE_ORDER = {spec.name: i for i, spec in enumerate(MODULES.values())}


# -- linking the modules ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Links:
    """The rows children.csv uses, linked: persons by id, their requests, the requests'
    active plans, and the rows of Placement detail and SEN need by active plan id."""

    persons: dict[str, CsvRow]
    req_by_person: dict[str, list[CsvRow]]
    plans_by_req: dict[str, list[CsvRow]]
    placements: dict[str, list[CsvRow]]
    needs: dict[str, list[CsvRow]]


def _unique(table: Table, col: str) -> dict[str, CsvRow]:
    seen: dict[str, CsvRow] = {}
    for r in table.rows:
        k = r.key(col)
        if k in seen:
            raise r.fail(col, f"{k!r} appears twice (first on row {seen[k].line})")
        seen[k] = r
    return seen


def _children_of(
    table: Table, parent_col: str, parents: Mapping[str, CsvRow], log: _Log
) -> dict[str, list[CsvRow]]:
    out: dict[str, list[CsvRow]] = defaultdict(list)
    for r in table.rows:
        p = r.key(parent_col)
        if p not in parents:
            log.unused.append(
                f"{table.module}: {_at(r)}: {parent_col} {p!r} is not in module "
                f"{'Person' if parent_col == 'persontableid' else 'its parent'}: not used"
            )
            continue
        out[p].append(r)
    return out


def _link(modules: Mapping[str, Table], log: _Log) -> _Links:
    persons = _unique(modules["person"], "persontableid")
    requests = _unique(modules["requests"], "requeststableid")
    req_by_person = _children_of(modules["requests"], "persontableid", persons, log)
    active = _unique(modules["active_plans"], "activeplanstableid")
    plans_by_req = _children_of(modules["active_plans"], "requeststableid", requests, log)
    placements = _children_of(modules["placement_detail"], "activeplanstableid", active, log)
    needs = _children_of(modules["sen_need"], "activeplanstableid", active, log)
    # the modules children.csv does not use are still checked for their links
    assessments = _unique(modules["assessments"], "assessmenttableid")
    _children_of(modules["assessments"], "requeststableid", requests, log)
    named = _unique(modules["named_plan"], "namedplantableid")
    _children_of(modules["named_plan"], "assessmenttableid", assessments, log)
    _children_of(modules["plan_detail"], "namedplantableid", named, log)
    for k in ("assessments", "named_plan", "plan_detail"):
        t = modules[k]
        log.notes.append(
            f"{t.module} ({t.where}): {len(t.rows)} rows read and linked; not used "
            "(children.csv takes needs and placements from Active plans)"
        )
    return _Links(persons, req_by_person, plans_by_req, placements, needs)


# -- typed values ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Placement:
    rank: int | None
    leaving: dt.date | None
    urn: str
    ukprn: str
    unit: bool
    rp: bool
    row: CsvRow


@dataclass(frozen=True, slots=True)
class _Values:
    """The typed values children.csv uses, by active plan id, and the person's sex column."""

    need_of: dict[str, list[tuple[int, Need, CsvRow]]]
    place_of: dict[str, list[_Placement]]
    due: dict[str, dt.date | None]
    sex_col: str
    transfer_col: bool


def _placement(r: CsvRow, has_unit: bool, has_rp: bool) -> _Placement:
    rank = _int(r, "placementrank")
    _date(r, "entrydate")  # read so that a bad date is refused; not used
    leaving = _date(r, "leavingdate")
    urn = _establishment(r, "urn")
    ukprn = _establishment(r, "ukprn")
    unit = _bool(r, "senunitindicator") if has_unit else False
    rp = _bool(r, "resourcedprovisionindicator") if has_rp else False
    return _Placement(rank, leaving, urn, ukprn, unit, rp, r)


def _read_values(modules: Mapping[str, Table], links: _Links) -> _Values:
    """Every typed value, read first, so bad input fails wherever it is."""
    transfer_col = "phasetransferduedate" in modules["active_plans"].columns
    need_of: dict[str, list[tuple[int, Need, CsvRow]]] = defaultdict(list)
    for r in modules["sen_need"].rows:
        rank = _int(r, "sentyperank")
        need = _need(r, "sentype")
        if rank is None:
            raise r.fail("sentyperank", "is empty")
        if r["activeplanstableid"] in links.needs:
            need_of[r["activeplanstableid"]].append((rank, need, r))
    place_of: dict[str, list[_Placement]] = defaultdict(list)
    has_unit = "senunitindicator" in modules["placement_detail"].columns
    has_rp = "resourcedprovisionindicator" in modules["placement_detail"].columns
    for r in modules["placement_detail"].rows:
        pl = _placement(r, has_unit, has_rp)
        if r["activeplanstableid"] in links.placements:
            place_of[r["activeplanstableid"]].append(pl)
    due: dict[str, dt.date | None] = {
        r["activeplanstableid"]: _date(r, "phasetransferduedate") if transfer_col else None
        for r in modules["active_plans"].rows
    }
    for r in modules["person"].rows:
        _date(r, "personbirthdate")
    sex_col = next(c for c in SEX_COLUMNS if c in modules["person"].columns)
    return _Values(need_of, place_of, due, sex_col, transfer_col)


# -- one person, one child -------------------------------------------------------------------


def _pseudonym(key: bytes, person: str) -> str:
    return "P" + hmac.new(key, person.encode("utf-8"), hashlib.sha256).hexdigest()[:12]


@dataclass(slots=True)
class _Run:
    """One import: the linked modules and values, the options, and what it records."""

    links: _Links
    values: _Values
    postcodes: PostcodeBook
    options: Sen2Options
    year: int
    census: dt.date
    key: bytes
    log: _Log
    ids: set[str] = field(default_factory=set)

    def child(self, pid: str, prow: CsvRow) -> tuple[Child, tuple[str, str, str, str]] | None:
        """The person's child and its mapping row, or ``None`` (the reason in the log)."""
        # validate every value of the row first: bad input fails wherever it is
        dob = _date(prow, "personbirthdate")
        sex_txt = prow[self.values.sex_col]
        sex = _SEX.get(sex_txt.upper())
        if sex is None:
            raise prow.fail(self.values.sex_col, f"{sex_txt!r} is not a sex code: write M or F")
        plan = self._plan(pid, prow)
        if plan is None:
            return None
        aid = plan["activeplanstableid"]
        if dob is None:
            self.log.drop(f"Person: {_at(prow)}: personbirthdate empty: not used")
            return None
        nc_year = nc_year_from_birth(dob, self.year)
        if not MIN_NC_YEAR <= nc_year <= MAX_NC_YEAR:
            self.log.drop(
                f"Person: {_at(prow)}: aged outside 0-25 on 31 August {self.year} "
                f"(national curriculum year {nc_year}): not used"
            )
            return None
        needs = self._needs(prow, plan, aid)
        point = self._home(prow) if needs is not None else None
        if needs is None or point is None:
            return None
        current = self._current(self.values.place_of.get(aid, []))
        band = self._band(current)
        move = self._move(self.values.due.get(aid))
        cid = _pseudonym(self.key, pid)
        while cid in self.ids:  # pragma: no cover - 48-bit pseudonyms: a clash is ~1e-7 at 20,000
            cid = _pseudonym(self.key, cid + pid)
        self.ids.add(cid)
        try:
            child = Child(
                child_id=cid,
                location=Location(point[0], point[1]),
                primary_need=needs[0],
                need_band=band,
                nc_year=nc_year,
                secondary_needs=needs[1],
                sex=sex,
                current_setting_id=current,
                move_requested=move,
            )
        except DomainError as e:
            self.log.drop(f"Person: {_at(prow)}: {e.field}: {e.message}: not used")
            return None
        return child, (cid, pid, prow["upn"], prow["uniquelearnernumber"])

    def _plan(self, pid: str, prow: CsvRow) -> CsvRow | None:
        """The person's active plan: the last listed, if there are several."""
        plans = [
            p
            for req in self.links.req_by_person.get(pid, [])
            for p in self.links.plans_by_req.get(req["requeststableid"], [])
        ]
        if not plans:
            self.log.unused.append(
                f"Person: {_at(prow)}: no active plan (Requests -> Active plans): not placed"
            )
            self.log.counts["no active plan"] += 1
            return None
        plans.sort(key=lambda r: r.line)
        plan = plans[-1]
        if len(plans) > 1:
            self.log.notes.append(
                f"Person {_at(prow)}: {len(plans)} active plans; the last listed ({_at(plan)}) used"
            )
        return plan

    def _needs(self, prow: CsvRow, plan: CsvRow, aid: str) -> tuple[Need, frozenset[Need]] | None:
        """The primary need (SEN need of rank 1) and the secondary needs (the other ranks)."""
        ranked = sorted(self.values.need_of.get(aid, []), key=lambda t: (t[0], t[2].line))
        firsts = [t for t in ranked if t[0] == 1]
        if not firsts:
            self.log.drop(
                f"Person: {_at(prow)}: its active plan ({_at(plan)}) has no SEN need of rank 1: "
                "not used"
            )
            return None
        primary = firsts[0][1]
        if len(firsts) > 1:
            self.log.notes.append(
                f"SEN need: {_at(firsts[1][2])}: a second need of rank 1 for one plan: "
                f"the first ({_at(firsts[0][2])}) is the primary need"
            )
        return primary, frozenset(n for _, n, _ in ranked[1:] if n is not primary)

    def _home(self, prow: CsvRow) -> tuple[float, float] | None:
        """The postcode's grid reference, else its LSOA's centroid."""
        book = self.postcodes
        pc = postcode_key(prow["postcode"])
        if not pc:
            self.log.drop(f"Person: {_at(prow)}: postcode empty: no home point: not used")
            return None
        if pc not in book.points:
            self.log.drop(
                f"Person: {_at(prow)}: postcode not in {book.file}: no home point: not used"
            )
            return None
        point = book.points[pc]
        if point is not None:
            self.log.counts["home at the postcode"] += 1
            return point
        lsoa = book.lsoa_of.get(pc)
        point = book.lsoa_points.get(lsoa) if lsoa else None
        if point is None:
            self.log.drop(
                f"Person: {_at(prow)}: postcode has no grid reference in {book.file}"
                " and no LSOA centroid: no home point: not used"
            )
            return None
        self.log.counts["home at the LSOA centroid"] += 1
        return point

    def _current(self, place_rows: Sequence[_Placement]) -> str | None:
        """The current setting: the open placement of rank 1 (or the first open one), its
        unit where the return marks one, as far as settings.csv has it."""
        log, settings = self.log, self.options.settings
        open_rows = [p for p in place_rows if p.leaving is None or p.leaving > self.census]
        open_rows.sort(key=lambda p: (p.rank if p.rank is not None else 99, p.row.line))
        if not open_rows:
            log.counts["no open placement"] += 1
            return None
        top = open_rows[0]
        if top.rank != 1:
            log.notes.append(
                f"Placement detail: {_at(top.row)}: no open placement of rank 1; the open one "
                f"of rank {top.rank} is the current setting"
            )
        base = top.urn or top.ukprn
        if not base:
            log.counts["open placement without URN/UKPRN"] += 1
            log.unused.append(
                f"Placement detail: {_at(top.row)}: open placement without URN or UKPRN "
                f"(sensetting {top.row['sensetting']!r}): no current setting, the child moves"
            )
            return None
        wanted = [f"{top.urn}-SU"] if top.unit and top.urn else []
        wanted += [f"{top.urn}-RP"] if top.rp and top.urn else []
        if settings is None:
            return wanted[0] if wanted else base
        current = next((w for w in [*wanted, base] if w in settings), None)
        if current is None:
            log.counts["current setting not in settings.csv"] += 1
            log.unused.append(
                f"Placement detail: {_at(top.row)}: setting {base} is not in "
                "settings.csv: no current setting, the child moves"
            )
        elif wanted and current == base:
            log.counts["unit not in settings.csv: the school itself"] += 1
        return current

    def _band(self, current: str | None) -> int:
        """The need band: the option's, else by the current setting's kind."""
        bands, settings = self.log.bands, self.options.settings
        if self.options.need_band is not None:
            band = self.options.need_band
            bands[f"band {band} (--need-band)"] += 1
            return band
        kind = settings.get(current) if settings is not None and current else None
        if kind is not None:
            band = BAND_BY_KIND[kind]
            bands[f"band {band} from its setting's kind ({kind.value})"] += 1
        elif current is not None and ("-SU" in current or "-RP" in current):
            band = BAND_BY_KIND[SettingKind.RESOURCED_PROVISION]
            bands[f"band {band} (SEN unit or resourced provision)"] += 1
        else:
            band = BAND_NO_SETTING
            why = "no current setting" if current is None else "its setting's kind unknown"
            bands[f"band {band} ({why})"] += 1
        return band

    def _move(self, transfer_due: dt.date | None) -> bool:
        """A phase transfer due this academic year (on or after the census date)."""
        if transfer_due is None or transfer_due.year != self.year or transfer_due < self.census:
            return False
        self.log.counts["phase transfer due this year: move_requested"] += 1
        return True


def _general_notes(year: int, census: dt.date, bands: Counter[str]) -> list[str]:
    return [
        "child ids: keyed-HMAC pseudonyms of persontableid (a new random key each import, "
        "so ids differ between imports); names, UPNs, ULNs, postcodes and dates of birth are "
        "not written",
        f"national curriculum year: age on 31 August {year} minus 4 (academic year "
        f"{year}/{(year + 1) % 100:02d})",
        f"open placement: leavingdate empty or after the census date {census.isoformat()}; "
        "the open placement of rank 1 is the current setting (URN, else UKPRN; <URN>-SU or "
        "<URN>-RP where senunitindicator or resourcedprovisionindicator is set)",
        "primary need: the SEN need of rank 1; secondary needs: the other ranks",
        "need band: SEN2 records none; "
        + "; ".join(f"{n} children: {k}" for k, n in sorted(bands.items())),
        "required features, journey limits, transport eligibility, looked-after status, "
        "siblings and preferences: SEN2 records none; none assumed (add them in children.csv)",
    ]


def mapping_csv_text(mapping: Sequence[tuple[str, str, str, str]]) -> str:
    """The pseudonym mapping as CSV: ``child_id,persontableid,upn,uln``."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("child_id", "persontableid", "upn", "uln"))
    w.writerows(mapping)
    return buf.getvalue()
