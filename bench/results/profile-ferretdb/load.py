"""The load under which FerretDB was profiled (docs/performance.md): one client of four, each doing the
roster copies' guarded upserts into a growing collection of its own. Run four at once:
``for n in 1 2 3 4; do python load.py $n & done``, against a launcher started with ``-pprof``."""

import sys
import time

from pymongo import MongoClient

URI = "mongodb://127.0.0.1:27098/"
UPSERTS = 4000

copies = MongoClient(URI)["pprofload"][f"copies{sys.argv[1]}"]
copies.create_index("unit_id")
started = time.time()
for i in range(UPSERTS):
    key, event_id = f"C{i:06d}", f"e{i:06d}"
    guard = {"_id": key, "applied_events": {"$ne": event_id},
             "$or": [{"revision": {"$lt": 1}}, {"revision": {"$exists": False}}]}
    facts = {"name": "某某" * 3, "unit_id": f"U{i // 100}", "level": "DIVISION", "is_leader": False,
             "is_principal": False, "birth_date": None, "revision": 1}
    copies.update_one(guard, {"$set": facts, "$push": {"applied_events": event_id}}, upsert=True)
print(sys.argv[1], f"{(time.time() - started) / UPSERTS * 1000:.2f} ms per upsert")
