"""The local stack, one implementation for `make`, the tests, the fault suite and the benchmarks: RabbitMQ
and a MongoDB-compatible store (mongod if installed, else FerretDB on a PostgreSQL of its own, ADR 0013),
the suite's processes, the local OpenID provider, and the tools the tests run. All state lives in .stack/.

    python -m devstack --help
"""
