"""Synthetic areas calibrated to a real local authority: deterministic, realistic, no real data.

``generate_area("Kent", seed=1)`` draws an area whose children follow that LA's published
EHC plan statistics and whose settings are sized so that specialist places run tight, as they
do nationally. Every figure used, and its source:

Calibration (``placement/data/calibration.csv``, built by ``scripts/build_calibration.py``;
provenance in ``placement/data/README.md``; each LA's row is a
:class:`~placement.register.LaProfile` of the register, :mod:`placement.register`):
    DfE, *Education, health and care plans*, reporting year 2025 (SEN2, January 2025):
    plans, sex, age (on 31 August, so ``nc_year = age - 4``: age 4 is Reception, 11 is Year 7,
    16 is Year 12 - the 2025 caseload puts 16,240 of its 16-year-olds and 110 of its
    15-year-olds in FE, so the age is the age at the start of the academic year), placement by
    age group, primary need by age group and primary need by placement, per LA; England's
    placement by single year of age. Land area, 2020 population and a representative point
    (British National Grid) from the mySociety UK local authorities register (ONS, OS).

Children:
    The LA's joint distribution of (age, placement, primary need) is fitted by iterative
    proportional fitting to its three published two-way tables (age group x placement,
    age group x need, placement x need), with single years spread within each age group by
    England's placement-by-age profile fitted to the LA's ages. Children are a multinomial
    draw from it, so the age, need and placement mixes match the LA's up to sampling noise.
    Children "educated elsewhere" (home education, NEET, awaiting provision; DfE ``other``)
    keep that placement for accounting but look for a setting like their peers of the same
    age and need. Down syndrome (DS) is counted under OTH in the 2025 files (data guidance,
    footnote 1), so no child has DS as primary need.

    Need bands (1-5), secondary needs (30%), required provision features, transport
    eligibility, looked-after status and preferences are modelling assumptions, stated at
    each constant below: there is no national banding and SEN2 publishes none of them by LA.
    Sex follows the LA's published male share (72% of all plans in England).

Geography (:mod:`placement.generate.geography`):
    People live in the LA's own LSOAs (2011; ONS population-weighted centroids and mid-year
    populations, vendored as ``placement/data/lsoa.csv.gz`` by ``scripts/build_lsoa.py``):
    a child's home is an LSOA drawn by population and a point about 300 m from its centroid.
    Up to ``round(sqrt(population / 10,000))`` towns (1-24) sit at the densest places, at
    least 6 km apart; an LSOA with fewer than 600 people per km² within 2 km is rural (15.7%
    of England's people; Defra: about 17%). A region of the LA's land area (an ellipse of
    aspect 1-1.6 around its representative point, moved inward where needed to keep a 45 km
    margin inside the BNG bounds) bounds where settings over the border go.

Real schools (the default, ``schools="auto"`` or ``"real"``; :mod:`placement.generate.schools`):
    The LA's state primary, secondary and special schools, non-maintained special schools and
    independent special schools (independent schools at least half of whose pupils have a
    plan) from the DfE's 2024/25 school census with their postcode points, and its
    neighbours' within reach (mainstream 3 km, state special 5 km, non-maintained and
    independent special 15 km from one of its homes). URN, name, type, phase, point, roll and
    entry are the DfE's; whatever the census lacks is estimated as below and listed in the
    setting's ``estimated`` field: ages, places (mainstream: the census roll plus free places
    as below; special schools: pools sized as below, their own pupils with plans weighing
    half beside the children nearest), features, designations and need levels (drawn from
    the need mix the LA places in that kind of school; a need in the name, such as "Deaf",
    sets the main one), LA maintained or academy (from the LA's placement mix), fees and
    s.41 approval. Resourced provision and units (hosted by real schools), AP, FE colleges,
    specialist post-16 institutions, independent special schools beyond the census's and any
    kind with no real school within reach are synthesised as below (``estimated =
    {"synthetic"}``, ids 900000-999999); ``schools="synthetic"`` synthesises every setting.

Settings (counts scale with ``scale``; the geography does not):
    Mainstream primaries and secondaries at England's rate per head (about 16,700 primaries
    and 3,450 secondaries for 56.5 million people; DfE *Schools, pupils and their
    characteristics* 2024/25; ONS Census 2021), more of them where people are sparse, placed
    like the population; FE colleges at one per 250,000 people and at least one per 1,500 km²
    (about 220 general FE and sixth-form colleges; Association of Colleges, *College key
    facts*). Resourced provisions and SEN units (in the LA's own proportion, hosted by
    mainstream schools), LA maintained special schools, special academies and free schools,
    non-maintained and independent special schools, alternative provision and specialist
    post-16 institutions in the numbers the LA's placement mix implies at typical sizes
    (see ``_SIZE``; smaller state special schools in sparse LAs), spread over the population
    as an LA plans them, designated for 1-3 needs drawn from that placement's need mix
    (every common need covered). Some settings are out of area, with the code of the nearest
    other LA: 15-40 km beyond the boundary, or just over it (2-12 km) where an LA expects so
    few children in a placement that it relies on a neighbour's school.

    Free places: specialist and unit places are 90-98% of the children the placement mix
    sends there, apportioned to each school and need pool by the children for whom it is
    the nearest suitable one, so specialist places run tight (about two-thirds of state
    special schools are at or over capacity; DfE school capacity 2023-24). Mainstream
    schools and colleges are mostly full of pupils without plans (``roll``); their free places
    are 1.3-2 times the children with plans nearest to them. In a ``transfer`` cohort, the
    roll also holds the children with plans in the other year groups.

``scale`` multiplies the number of children and every count of settings on the same geography
(benchmarks use it for 2k, 20k and 100k-child areas). ``cohort="transfer"`` keeps only the
phase-transfer year groups: children entering Reception, Year 7 and Year 12 next September
(``nc_year`` 0, 7 and 12; ages 4, 11 and 16 in the calibration).

Everything random comes from ``numpy.random.default_rng(seed)`` (spawned into independent
streams for geography and settings, children, places, and preferences): the same arguments
give an identical area, on any machine.

The package, by concern, each module importing only those before it:
:mod:`~placement.generate.calibration` (the joint model; the LAs themselves are
:mod:`placement.register`'s), :mod:`~placement.generate.names`,
:mod:`~placement.generate.geography`, :mod:`~placement.generate.schools`,
:mod:`~placement.generate.settings` (the settings, before their places),
:mod:`~placement.generate.arrays` (the children and settings as arrays, shared by the steps
after), :mod:`~placement.generate.nearest` (candidate searches),
:mod:`~placement.generate.places`, :mod:`~placement.generate.children` (the children, their
details and preferences) and :mod:`~placement.generate.build` (the area from its parts).
This module re-exports the public API.
"""

from placement.generate.build import GenerationReport, generate_area, generate_with_report
from placement.generate.calibration import SPECIALIST, TRANSFER_YEARS

__all__ = [
    "SPECIALIST",
    "TRANSFER_YEARS",
    "GenerationReport",
    "generate_area",
    "generate_with_report",
]
