#!/usr/bin/env python3
"""Copies the part of a provider schema this project emits into providers/<name>/schema.json.

usage: python3 providers/extract.py aws|google|azurerm

Reads ../shared/providers/<name>-<version>.schema.json.gz (see ../shared/README.md) and
providers/<name>/resources.txt (one type a line; `data.<type>` for data sources; `#` comments),
and writes providers/<name>/schema.json: those resource and data source schemas plus the
provider configuration schema, keys sorted, so a diff shows exactly what changed.

A type the shared file lacks (the rebuilt google and azurerm files have no data sources, and
no google-beta-only resources) is taken from providers/<name>/from-source.json instead, where
each entry was transcribed by hand from the provider's Go schema at the pinned tag and names
that file in its "source"; the entry's "block" is in the rebuilt shape (attributes with
required/optional, or "computed": true for computed-only ones).
"""
import gzip
import json
import sys
from pathlib import Path

VERSIONS = {"aws": "5.100.0", "google": "6.50.0", "azurerm": "4.55.0"}

def main() -> int:
    if len(sys.argv) != 2 or sys.argv[1] not in VERSIONS:
        print(__doc__, file=sys.stderr)
        return 2
    name = sys.argv[1]
    here = Path(__file__).resolve().parent
    source = here.parent.parent / "shared" / "providers" / f"{name}-{VERSIONS[name]}.schema.json.gz"
    full = json.load(gzip.open(source))
    wanted = [l.split("#")[0].strip() for l in (here / name / "resources.txt").read_text().splitlines()]
    wanted = [w for w in wanted if w]
    out = {"provider": name, "version": VERSIONS[name], "source": full.get("source", "terraform providers schema -json"),
           "resource_schemas": {}, "data_source_schemas": {}}
    if "provider_config" in full:
        out["provider_config"] = full["provider_config"]
    transcribed_path = here / name / "from-source.json"
    transcribed = json.loads(transcribed_path.read_text()) if transcribed_path.exists() else {}
    missing = []
    for entry in wanted:
        section, type_name = ("data_source_schemas", entry[5:]) if entry.startswith("data.") else ("resource_schemas", entry)
        schema = full.get(section, {}).get(type_name)
        if schema is None and type_name in transcribed.get(section, {}):
            schema = {"block": transcribed[section][type_name]["block"]}
        if schema is None:
            missing.append(entry)
        else:
            out[section][type_name] = schema
    if missing:
        print(f"not in the {name} {VERSIONS[name]} schema: {', '.join(missing)}", file=sys.stderr)
        return 1
    (here / name / "schema.json").write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"providers/{name}/schema.json: {len(out['resource_schemas'])} resources, {len(out['data_source_schemas'])} data sources")
    return 0

if __name__ == "__main__":
    sys.exit(main())
