#!/usr/bin/env python3
"""Writes the compact provider schemas the library embeds: providers/<name>/schema.txt and index.rs.

usage: python3 providers/bundle.py            (every provider)
       python3 providers/bundle.py aws|google|azurerm

Reads ../shared/providers/<name>-<version>.schema.json.gz (see ../shared/README.md): the whole
schema, every resource and data source type, and merges providers/<name>/from-source.json,
the types the shared file lacks (the rebuilt google and azurerm files have no data sources and
no google-beta-only resources), each entry transcribed by hand from the provider's source at
the pinned tag and naming it in its "source". An entry whose source is the google-beta
provider goes to providers/google-beta/schema.txt instead (google's own provider lacks it).

Why a text file and not the JSON: the JSON is 10+ MB with descriptions; synth must not parse
it. The format keeps only what the check needs and is decoded lazily, one type at a time, by
src/schema/bundled.rs (which documents the format). The index (type -> byte range) is a Rust
table (index.rs, compiled in with include!), so nothing is parsed to find a type. Repeated nested block bodies (the AWS
QuickSight types repeat the same visual blocks thousands of times) are written once, in the
shared section, and referenced by number: 3.7 MB of AWS lines become about 0.6 MB.
Deterministic: types, names and shared bodies sorted, so a diff shows what changed.
"""
import gzip
import json
import sys
from collections import Counter
from pathlib import Path

VERSIONS = {"aws": "5.100.0", "google": "6.50.0", "azurerm": "4.55.0"}
BETA_SOURCE = "hashicorp/terraform-provider-google-beta@"
# A body shared when it appears at least twice and is at least this long (bytes of its lines):
# below that a reference line costs about as much as the body.
SHARE_MIN_BYTES = 80


def flags(attribute):
    """`r`, `o`, `c` for required, optional, computed: `oc` is optional and computed."""
    # The rebuilt shape marks computed-only attributes with "type": "computed".
    computed = attribute.get("computed") or attribute.get("type") == "computed"
    text = "".join(c for c, on in (("r", attribute.get("required")),
                                   ("o", attribute.get("optional")),
                                   ("c", computed)) if on)
    return text or "o"


def nested(block_type):
    """(nesting, min, max, body) of a block type, in either shape."""
    nesting = block_type.get("nesting_mode") or block_type.get("nesting") or "list"
    maximum = block_type.get("max_items", 0) or 0
    if nesting == "single":
        maximum = 1
    return nesting, block_type.get("min_items", 0) or 0, maximum, block_type.get("block", block_type)


def canonical(body):
    """A block body's lines at relative depth 0, nested blocks written out in full."""
    lines = []
    for name, attribute in sorted(body.get("attributes", {}).items()):
        lines.append(f"{name} {flags(attribute)}")
    for name, block_type in sorted(body.get("block_types", {}).items()):
        nesting, minimum, maximum, inner = nested(block_type)
        lines.append(f"{name} {nesting} {minimum} {maximum}")
        lines.extend(" " + line for line in canonical(inner))
    return lines


class Writer:
    def __init__(self, shared):
        self.shared = shared  # canonical text -> number

    def body(self, body, depth):
        lines = []
        pad = " " * depth
        for name, attribute in sorted(body.get("attributes", {}).items()):
            lines.append(f"{pad}{name} {flags(attribute)}")
        for name, block_type in sorted(body.get("block_types", {}).items()):
            nesting, minimum, maximum, inner = nested(block_type)
            key = "\n".join(canonical(inner))
            if key in self.shared:
                lines.append(f"{pad}{name} {nesting} {minimum} {maximum} &{self.shared[key]}")
            else:
                lines.append(f"{pad}{name} {nesting} {minimum} {maximum}")
                lines.extend(self.body(inner, depth + 1))
        return lines


def bundle(name, version, source, resources, data_sources, provider_config, exact_nested, complete):
    """The text of one provider's schema.txt."""
    counts = Counter()
    bodies = {}

    def visit(body):
        for block_type in body.get("block_types", {}).values():
            inner = nested(block_type)[3]
            key = "\n".join(canonical(inner))
            counts[key] += 1
            bodies[key] = inner
            visit(inner)

    entries = [("R", t, s) for t, s in sorted(resources.items())]
    entries += [("D", t, s) for t, s in sorted(data_sources.items())]
    if provider_config is not None:
        entries.append(("P", "provider", provider_config))
    for _, _, schema in entries:
        visit(schema)
    shared_keys = sorted(k for k, c in counts.items() if c >= 2 and len(k) >= SHARE_MIN_BYTES)
    writer = Writer({k: i for i, k in enumerate(shared_keys)})

    chunks = []  # (kind, name, text)
    for kind, type_name, schema in entries:
        chunks.append((kind, type_name, "".join(l + "\n" for l in writer.body(schema, 0))))
    for i, key in enumerate(shared_keys):
        # A shared body is written with references too, except to itself.
        inner = bodies[key]
        saved = writer.shared.pop(key)
        chunks.append(("S", str(i), "".join(l + "\n" for l in writer.body(inner, 0))))
        writer.shared[key] = saved

    index, body, offset = {"R": [], "D": [], "P": [], "S": []}, [], 0
    for kind, type_name, text in chunks:
        index[kind].append((type_name, offset, len(text.encode())))
        body.append(text)
        offset += len(text.encode())
    header = [
        "infrasynth-provider-schema 1",
        f"provider {name}",
        f"version {version}",
        f"source {source}",
        f"nested-computed {'exact' if exact_nested else 'unreliable'}",
        f"resources {'complete' if complete['resources'] else 'partial'}",
        f"data-sources {'complete' if complete['data_sources'] else 'partial'}",
    ]
    text = "\n".join(header) + "\n---\n" + "".join(body)
    start = len(("\n".join(header) + "\n---\n").encode())

    def table(entries, named=True):
        rows = [f'    ("{n}", {start + o}, {l}),' if named else f"    ({start + o}, {l}),"
                for n, o, l in entries]
        return "&[\n" + "\n".join(rows) + "\n]"

    def string(s):
        return json.dumps(s)

    provider_config = (f"Some(({start + index['P'][0][1]}, {index['P'][0][2]}))"
                       if index["P"] else "None")
    rust = f"""// Generated by providers/bundle.py from the shared {name} {version} schema: do not edit.
// Where each type's body starts in schema.txt (bytes) and how long it is; names sorted.
RawIndex {{
    provider: {string(name)},
    version: {string(version)},
    source: {string(source)},
    exact_nested_computed: {str(exact_nested).lower()},
    every_resource: {str(complete['resources']).lower()},
    every_data_source: {str(complete['data_sources']).lower()},
    resources: {table(index['R'])},
    data_sources: {table(index['D'])},
    provider_config: {provider_config},
    shared: {table([(None, o, l) for _, o, l in index['S']], named=False)},
}}
"""
    return text, rust


def main() -> int:
    names = sys.argv[1:] or list(VERSIONS)
    if any(n not in VERSIONS for n in names):
        print(__doc__, file=sys.stderr)
        return 2
    here = Path(__file__).resolve().parent
    for name in names:
        version = VERSIONS[name]
        path = here.parent.parent / "shared" / "providers" / f"{name}-{version}.schema.json.gz"
        full = json.load(gzip.open(path))
        source = full.get("source", "terraform providers schema -json")
        exact = name == "aws"  # printed by terraform; the others are rebuilt (see ../shared/README.md)
        resources = {t: s["block"] for t, s in full.get("resource_schemas", {}).items()}
        data_sources = {t: s["block"] for t, s in full.get("data_source_schemas", {}).items()}
        config = full.get("provider_config", {}).get("block")
        beta = {"resource_schemas": {}, "data_source_schemas": {}}
        transcribed_path = here / name / "from-source.json"
        transcribed = json.loads(transcribed_path.read_text()) if transcribed_path.exists() else {}
        for section, target in (("resource_schemas", resources), ("data_source_schemas", data_sources)):
            for type_name, entry in sorted(transcribed.get(section, {}).items()):
                if entry.get("source", "").startswith(BETA_SOURCE):
                    beta[section][type_name] = entry["block"]
                elif type_name in target:
                    print(f"{name}: {type_name} is in the shared schema; drop it from from-source.json",
                          file=sys.stderr)
                    return 1
                else:
                    target[type_name] = entry["block"]
        # The rebuilt files list no data sources: those the project transcribed are all there is.
        complete = {"resources": True, "data_sources": name == "aws"}
        text, rust = bundle(name, version, source, resources, data_sources, config, exact, complete)
        (here / name / "schema.txt").write_text(text)
        (here / name / "index.rs").write_text(rust)
        print(f"providers/{name}/schema.txt: {len(resources)} resources, {len(data_sources)} data sources, "
              f"{len(text.encode())} bytes")
        if beta["resource_schemas"] or beta["data_source_schemas"]:
            (here / "google-beta").mkdir(exist_ok=True)
            text, rust = bundle("google-beta", version, "transcribed from hashicorp/terraform-provider-google-beta "
                          f"v{version} (providers/google/from-source.json)", beta["resource_schemas"],
                          beta["data_source_schemas"], None, False,
                          {"resources": False, "data_sources": False})
            (here / "google-beta" / "schema.txt").write_text(text)
            (here / "google-beta" / "index.rs").write_text(rust)
            print(f"providers/google-beta/schema.txt: {len(beta['resource_schemas'])} resources, "
                  f"{len(beta['data_source_schemas'])} data sources (the google-beta-only types "
                  f"the project transcribed; other google-beta types are not checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
