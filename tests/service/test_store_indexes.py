"""Lookups by `_id` and by an indexed field use an index on the real store (ADR 0015).

On FerretDB 1.24 over PostgreSQL this holds only with deploy/local/ferretdb-indexes.sql installed:
FerretDB's own btree indexes cannot answer the `@>` filters it sends, so without the GIN indexes
beside them every lookup reads the whole table and the cost of a stream grows as N squared.
"""

import os
import subprocess
import time
from datetime import UTC, datetime
from urllib.parse import urlparse

import pytest

from services.common.storage.store import Store
from services.talent.models import Cadre

ROWS = 3000  # enough that PostgreSQL's planner prefers an index to reading the table


def plan_nodes(plan: dict) -> list[str]:
    """Every node type of a PostgreSQL plan, as FerretDB's explain returns it."""
    return [plan.get("Node Type", "?")] + [n for child in plan.get("Plans", []) for n in plan_nodes(child)]


def stages(plan: dict) -> list[str]:
    """Every stage of a MongoDB winning plan."""
    children = plan.get("inputStages") or ([plan["inputStage"]] if "inputStage" in plan else [])
    return [plan.get("stage", "?")] + [s for child in children for s in stages(child)]


@pytest.fixture
def cadres(mongo_client, db_prefix):
    database = mongo_client[f"{db_prefix}talent"]
    Store(database, [Cadre]).ensure_indexes()  # the service's own declarations, as at start
    collection = database[Cadre._get_collection_name()]
    born = datetime(1980, 1, 1, tzinfo=UTC)
    collection.insert_many([
        {"_id": f"C{i:05d}", "name": "n", "unit_id": f"U{i // 100:03d}", "level": "DIVISION",
         "is_leader": False, "is_principal": False, "birth_date": born, "grassroots_years": 1,
         "service_years": 1, "registered_at": born, "applied_events": []} for i in range(ROWS)])
    return database, collection


@pytest.mark.parametrize("filter_", [{"_id": "C01234"}, {"unit_id": "U012"}],
                         ids=["by _id", "by indexed unit_id"])
def test_an_equality_lookup_uses_an_index(cadres, filter_):
    database, collection = cadres
    explained = database.command("explain", {"find": collection.name, "filter": filter_})
    if "ferretdbVersion" in database.client.admin.command("buildInfo"):
        nodes = plan_nodes(explained["queryPlanner"]["Plan"])
        assert "Seq Scan" not in nodes, f"{filter_} reads the whole table: {nodes}"
        assert any("Index" in node for node in nodes), nodes
    else:
        used = stages(explained["queryPlanner"]["winningPlan"])
        assert "COLLSCAN" not in used, f"{filter_} reads the whole collection: {used}"
    assert len(list(collection.find(filter_))) == (1 if "_id" in filter_ else 100)


def table_scans(schema: str, prefix: str) -> int:
    """How often PostgreSQL read the whole table behind a FerretDB collection (its statistics)."""
    server = os.environ.get("STACK_POSTGRESQL_URL")
    assert server, "the store is FerretDB but STACK_POSTGRESQL_URL (from .stack/env) is not set"
    parts = urlparse(server)
    # statistics reach pg_stat_* within a second of the statement (stats_fetch_consistency)
    time.sleep(1.5)
    out = subprocess.run(
        ["psql", "-h", parts.hostname, "-p", str(parts.port), "-U", parts.username, "-d", "ferretdb",
         "-Atc", f"SELECT sum(seq_scan) FROM pg_stat_user_tables WHERE schemaname = '{schema}' "
                 f"AND relname LIKE '{prefix}%'"], capture_output=True, text=True, check=True, timeout=60)
    return int(out.stdout.strip() or 0)


def collection_scans(client) -> int:
    """MongoDB's own count of queries that read a whole collection (serverStatus)."""
    return client.admin.command("serverStatus")["metrics"]["queryExecutor"]["collectionScans"]["total"]


def test_lookups_keep_using_the_index_while_a_collection_grows(mongo_client, db_prefix):
    """A consumer's guarded upsert, repeated while its collection grows from empty (the roster copies
    of a season). On FerretDB, PostgreSQL caches a generic plan for `_jsonb -> $1 @> $2` after five
    executions on the then-tiny table; that plan cannot use an index, and every lookup after it read
    the whole table. ferretdb-indexes.sql sets plan_cache_mode = force_custom_plan (ADR 0015)."""
    database = mongo_client[f"{db_prefix}care"]
    ferretdb = "ferretdbVersion" in database.client.admin.command("buildInfo")
    before = 0 if ferretdb else collection_scans(mongo_client)
    copies = database["copies"]
    copies.create_index("unit_id")
    for i in range(2000):
        key = f"C{i:05d}"
        copies.update_one({"_id": key, "applied_events": {"$ne": f"e{i}"}},
                          {"$set": {"unit_id": "U1"}, "$push": {"applied_events": f"e{i}"}}, upsert=True)
    assert copies.count_documents({}) == 2000
    scans = table_scans(database.name, "copies_") if ferretdb else collection_scans(mongo_client) - before
    # a handful of scans is the store's own bookkeeping (and the count above); with a generic plan
    # FerretDB read the table 420-700 times in these 2,000 (measured)
    assert scans < 50
