"""The conflict check's benchmark (bench/intake/README-section.md): load parties with COPY,
then time ``intake.services.conflicts.check_conflicts`` as the application does it.

    .venv/bin/python bench/intake/conflict.py --parties 1000000 --orgs 1
    .venv/bin/python bench/intake/conflict.py --parties 10000000 --orgs 200

Run by ``bench/intake/run.sh``, which creates and migrates the ``bench_intake`` database.
Parties are loaded by the PostgreSQL superuser (``BENCH_SUPERUSER_URL``): ``COPY FROM`` is
refused on a table under row-level security for every role the policy applies to. The
distinct names the check searches (``intake_partyname``) are then copied from the parties
in one statement. The name indexes (the parties' trigram and btree indexes, the names'
trigram index) are dropped for the load and built again afterwards (with their definitions
read from the catalogue, as the migrations made them), then the tables are analysed. The checks
then run through Django as the application role (``coverage_app``), each in its own tenant
transaction with a ``ConflictCheck`` row written, as in a request: 2 names per check (the
caller and the other side), drawn from the same name lists with a typo in half of them.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[2]


def _words(text: str) -> list[str]:
    return text.split()


sys.path.insert(0, str(ROOT))

FIRST = _words("""James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth
William Barbara
Richard Susan Joseph Jessica Thomas Sarah Christopher Karen Charles Lisa Daniel Nancy Matthew
Betty Anthony Sandra Mark Margaret Donald Ashley Steven Kimberly Andrew Emily Paul Donna Joshua
Michelle Kenneth Carol Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald Dorothy
Jason Rebecca Edward Sharon Jeffrey Laura Ryan Cynthia Jacob Amy Gary Kathleen Nicholas Angela
Eric Shirley Jonathan Brenda Stephen Emma Larry Anna Justin Pamela Scott Nicole Brandon Samantha
Benjamin Katherine Samuel Christine Gregory Helen Alexander Debra Patrick Rachel Frank Carolyn
Raymond Janet Jack Maria Dennis Catherine Jerry Heather Tyler Diane Aaron Olivia Jose Julie Adam
Joyce Nathan Victoria Henry Ruth Zachary Virginia Douglas Lauren Peter Kelly Kyle Christina Noah
Joan Ethan Evelyn Jeremy Judith Walter Andrea Christian Hannah Keith Megan Roger Cheryl Terry
Jacqueline Austin Martha Sean Madison Gerald Teresa Carl Gloria Harold Sara Dylan Janice Arthur
Ann Lawrence Kathryn Jordan Abigail Jesse Sophia Bryan Frances Billy Jean Bruce Alice Gabriel
Judy Joe Isabella Logan Julia Alan Grace Juan Amber Albert Denise Willie Danielle Elijah Marilyn
Wayne Beverly Randy Charlotte Vincent Natalie Mason Theresa Roy Diana Ralph Brittany Bobby Doris
Russell Kayla Bradley Alexis Philip Lori Eugene Marie Priya Wei Mohammed Fatima Hiroshi Yuki
Carlos Lucia Dmitri Olga Kwame Amara Santiago Valentina Raj Ananya Chen Mei Omar Leila""")
LAST = _words("""Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez
Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans
Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez
Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks
Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers
Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson
Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds
Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens
Murray Ford Castro Marshall Owens Harrison Fernandez McDonald Woods Washington Kennedy Wells
Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon
Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd
Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens
Soto Weaver Ryan Gardner Payne Grant Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen
Peters Santos Hart Bradley Knight Elliott Cunningham Duncan Armstrong Hudson Carroll Lane Riley
Andrews Alvarado Ray Delgado Berry Perkins Hoffman Johnston Matthews Pena Richards Contreras
Willis Carpenter Lawrence Sandoval Raman Okafor Nakamura Kowalski Novak Haddad Mensah Ivanova
Singh Sharma Wang Zhang Liu Yamamoto Tanaka Ali Khan Hussain Ahmed Schneider Fischer Weber""")
COMPANY = _words("""Freight Logistics Holdings Partners Trucking Medical Dental Insurance Realty
Construction Properties Capital Foods Motors Services Group Industries Labs Systems Energy
Pharmacy Clinic Bank Trust""")
SUFFIX = ["LLC", "Inc.", "Corp.", "LLP", "Co."]
ROLES = ["client", "adverse", "related", "prospect"]
# Dropped for the load and built again after it, from their catalogue definitions.
PARTY_NAME_INDEXES = [
    "intake_party_name_trgm",
    "intake_party_by_name",
    "intake_partyname_name_trgm",
]


def person(rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    shape = rng.random()
    if shape < 0.55:
        return f"{first} {last}"
    if shape < 0.85:
        return f"{first} {chr(65 + rng.randrange(26))}. {last}"
    return f"{first} {last}-{rng.choice(LAST)}"


def company(rng: random.Random) -> str:
    return f"{rng.choice(LAST)} {rng.choice(COMPANY)} {rng.choice(SUFFIX)}"


def party_name(rng: random.Random) -> str:
    return company(rng) if rng.random() < 0.15 else person(rng)


def typo(rng: random.Random, name: str) -> str:
    """A heard-not-spelt variant: a letter dropped, doubled or changed."""
    letters = list(name)
    spots = [i for i, c in enumerate(letters) if c.isalpha()]
    i = rng.choice(spots)
    kind = rng.randrange(3)
    if kind == 0:
        del letters[i]
    elif kind == 1:
        letters.insert(i, letters[i])
    else:
        letters[i] = rng.choice("aeiouy")
    return "".join(letters)


def load(superuser_url: str, org_ids: list[int], parties: int, seed: int) -> None:
    rng = random.Random(seed)
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        conn.execute(
            "TRUNCATE intake_party, intake_partyname, intake_matter, intake_conflictcheck CASCADE"
        )
        definitions = []
        for index in PARTY_NAME_INDEXES:
            definition = conn.execute("SELECT pg_get_indexdef(%s::regclass)", [index]).fetchone()
            assert definition is not None
            definitions.append(definition[0])
            conn.execute(f"DROP INDEX {index}")
        started = time.perf_counter()
        per_org = parties // len(org_ids)
        with (
            conn.cursor() as cursor,
            cursor.copy(
                "COPY intake_party (organization_id, name, role, external_ref, created_at) "
                "FROM STDIN"
            ) as copy,
        ):
            buffer = io.StringIO()
            for n in range(parties):
                org = org_ids[min(n // per_org, len(org_ids) - 1)]
                buffer.write(f"{org}\t{party_name(rng)}\t{rng.choice(ROLES)}\tP-{n}\tnow\n")
                if n % 50_000 == 49_999:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        loaded = time.perf_counter()
        # The distinct names the conflict check searches (the services keep them in step
        # with every party they write; here the superuser copies them once), organisation
        # by organisation as the parties were loaded: a hash's order would scatter each
        # organisation's names over the whole table and its trigram index (bench/README.md).
        conn.execute(
            "INSERT INTO intake_partyname (organization_id, name) "
            "SELECT DISTINCT organization_id, name FROM intake_party "
            "ORDER BY organization_id, name"
        )
        named = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '512MB'")
        for definition in definitions:
            conn.execute(definition)
        indexed = time.perf_counter()
        conn.execute("ANALYZE intake_party")
        conn.execute("ANALYZE intake_partyname")
        conn.execute("ANALYZE intake_matter")
        size = conn.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('intake_party')),"
            " pg_size_pretty(pg_relation_size('intake_party_name_trgm')),"
            " (SELECT count(*) FROM intake_partyname),"
            " pg_size_pretty(pg_total_relation_size('intake_partyname'))"
        ).fetchone()
        assert size is not None
    print(
        f"loaded {parties:,} parties into {len(org_ids)} organisation(s): COPY "
        f"{loaded - started:.1f} s, distinct names {named - loaded:.1f} s, indexes "
        f"{indexed - named:.1f} s; table with indexes {size[0]}, trigram "
        f"index {size[1]}; {size[2]:,} distinct names ({size[3]} with indexes)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parties", type=int, default=1_000_000)
    parser.add_argument("--orgs", type=int, default=1)
    parser.add_argument("--checks", type=int, default=200)
    parser.add_argument("--names-per-check", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--skip-load", action="store_true")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coverage_platform.settings")
    import django

    django.setup()
    from django.db import connection

    from tenancy.models import Organization

    orgs = []
    for n in range(args.orgs):
        org, _ = Organization.objects.get_or_create(
            slug=f"bench-conflict-{n}", defaults={"name": f"Bench firm {n}"}
        )
        orgs.append(org)
    superuser_url = os.environ.get(
        "BENCH_SUPERUSER_URL",
        f"postgres://postgres@localhost:5432/{connection.settings_dict['NAME']}",
    )
    if not args.skip_load:
        load(superuser_url, [o.pk for o in orgs], args.parties, args.seed)

    run(args, orgs)


def run(args: argparse.Namespace, orgs: list[Any]) -> None:
    from django.db import connection
    from django.utils import timezone

    from intake.models import Intake, Script, ScriptVersion, VersionStatus
    from intake.services import conflicts
    from tenancy.context import tenant_context
    from tenancy.resolution import Tenant
    from tenancy.roles import Role

    intakes = {}
    for org in orgs:
        with tenant_context(org):
            script, _ = Script.objects.get_or_create(name="Bench legal intake")
            version, _ = ScriptVersion.objects.get_or_create(
                script=script,
                number=1,
                defaults={
                    "status": VersionStatus.APPROVED,
                    "definition": {"sections": []},
                    "approved_at": timezone.now(),
                },
            )
            intakes[org.pk] = Intake.objects.create(script_version=version)

    rng = random.Random(args.seed + 1)
    checks = []
    for _ in range(args.checks + args.warmup):
        names = [party_name(rng) for _ in range(args.names_per_check)]
        names = [typo(rng, name) if rng.random() < 0.5 else name for name in names]
        checks.append((rng.choice(orgs), names))

    timings, hits = [], []
    for index, (org, names) in enumerate(checks):
        actor = Tenant(organization=org, role=Role.AGENT)
        started = time.perf_counter()
        with tenant_context(org):
            check = conflicts.check_conflicts(actor=actor, intake=intakes[org.pk], names=names)
        elapsed = (time.perf_counter() - started) * 1000
        if index >= args.warmup:  # the first ones warm the cache and the connection
            timings.append(elapsed)
            hits.append(len(check.hits))

    org = orgs[0]
    # The search's plan as the application role, in the tenant, under row-level security:
    # what the check runs (docs/intake.md: the similarity operator must be leakproof).
    with tenant_context(org), connection.cursor() as cursor:
        cursor.execute(conflicts._BEFORE)
        names = checks[0][1]
        cursor.execute(
            "EXPLAIN (ANALYZE, COSTS OFF) " + conflicts._PARTIES,
            {
                "names": names,
                "ords": list(range(1, len(names) + 1)),
                "org": org.pk,
                "limit": conflicts.HITS_PER_NAME,
            },
        )
        plan = [row[0] for row in cursor.fetchall()]
        cursor.execute(conflicts._AFTER)
    # The index answers the search only if the similarity is in its condition (otherwise it
    # is read for the organisation alone and similarity is computed row by row).
    trigram = any("Index Cond" in line and "%" in line for line in plan)

    timings.sort()
    p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
    print(
        f"{args.checks} checks of {args.names_per_check} names over {args.parties:,} parties "
        f"in {args.orgs} organisation(s): median {statistics.median(timings):.1f} ms, "
        f"p95 {p95:.1f} ms, max {timings[-1]:.1f} ms; hits per check: median "
        f"{statistics.median(hits):.0f}, max {max(hits)}"
    )
    print(
        "similarity answered "
        f"by the trigram index: {'yes' if trigram else 'NO (computed row by row)'}"
    )
    if os.environ.get("BENCH_SHOW_PLAN"):
        print("\n".join(plan))


if __name__ == "__main__":
    main()
