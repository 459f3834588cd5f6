"""docs/asyncapi.yaml as other teams' tools read it: the official AsyncAPI parser (`@asyncapi/parser`, the
library behind AsyncAPI's generator and Studio, installed by `make asyncapi-parser`) finds no error."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PARSER = ROOT / "contracts" / "asyncapi-parser"


def test_the_official_parser_reads_the_event_catalogue_without_an_error():
    assert (PARSER / "node_modules" / "@asyncapi" / "parser").is_dir(), \
        "run `make asyncapi-parser` (make test does): the parser is not installed"
    run = subprocess.run(["node", str(PARSER / "parse.mjs"), str(ROOT / "docs" / "asyncapi.yaml")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().endswith("errors=0 document=ok")
