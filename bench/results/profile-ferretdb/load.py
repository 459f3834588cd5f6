import sys, time
from pymongo import MongoClient
db = MongoClient("mongodb://127.0.0.1:27098/")["pprofload"]; col = db[f"copies{sys.argv[1]}"]
col.create_index("unit_id")
s = time.time()
for i in range(4000):
    k = f"C{i:06d}"
    col.update_one({"_id": k, "applied_events": {"$ne": "e"+k}, "$or": [{"revision": {"$lt": 1}}, {"revision": {"$exists": False}}]},
                   {"$set": {"name": "某某" * 3, "unit_id": f"U{i//100}", "level": "DIVISION", "is_leader": False,
                             "is_principal": False, "birth_date": None, "revision": 1}, "$push": {"applied_events": "e"+k}}, upsert=True)
print(sys.argv[1], (time.time()-s)/4000*1000, "ms/op")
