#!/usr/bin/env python3
"""Regenerates the AWS service models that Baton embeds (crates/sdk/models, crates/sdk/src/index.rs).

Which services: exactly those of scripts/aws-sdk-services.tsv, AWS's list of Step Functions' AWS SDK integrations,
kept by hand (its header says where it comes from). Their models are botocore's service-2.json files, from the pinned
botocore wheel on PyPI (its sha256 checked), with documentation and validation-only keys removed and zlib-compressed.
The output depends only on the list and the wheel: a rerun writes the same bytes. Run with no arguments (it runs
`pip download`), or give the wheel:

    python3 scripts/aws-models.py [--wheel botocore-X-py3-none-any.whl]
"""

import argparse
import gzip
import hashlib
import json
import pathlib
import re
import subprocess
import sys
import tempfile
import zipfile
import zlib

BOTOCORE_VERSION = "1.44.8"
# sha256 of botocore-1.44.8-py3-none-any.whl as PyPI serves it; a wheel with another digest is refused.
BOTOCORE_SHA256 = "76342a76c338701db80dcb8afe1c9bd079283d6fffbb9d881442abb02a215043"

ROOT = pathlib.Path(__file__).resolve().parent.parent
SERVICES = ROOT / "scripts" / "aws-sdk-services.tsv"
MODELS = ROOT / "crates" / "sdk" / "models"
INDEX = ROOT / "crates" / "sdk" / "src" / "index.rs"

# Keys that only document or validate: Baton serializes and parses, AWS validates.
DROPPED = {
    "documentation", "documentationUrl", "examples", "min", "max", "pattern", "enum", "deprecated",
    "deprecatedMessage", "deprecatedSince", "sensitive", "box", "authtype", "auth", "contextParam",
    "staticContextParams", "clientContextParams", "operationContextParams", "endpointdiscovery",
    "endpointoperation", "requestcompression", "retryable", "awsQueryError", "unsignedPayload",
    "requiresLength",
}


def strip(value):
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k not in DROPPED}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


def pascal_words(service_id):
    """The PascalCase service name AWS's error names use: the words of the service id, each with one capital
    (DynamoDB -> DynamoDb, ACM PCA -> AcmPca, SFN -> Sfn, EventBridge -> EventBridge)."""
    out = []
    for word in service_id.replace("-", " ").split():
        i, parts = 0, []
        while i < len(word):
            j = i + 1
            if word[i].isupper():
                # A run of capitals is an acronym, except that its last capital may start the next word.
                while j < len(word) and word[j].isupper():
                    j += 1
                if j < len(word) and word[j].islower() and j - i > 1:
                    j -= 1
            while j < len(word) and not word[j].isupper():
                j += 1
            parts.append(word[i:j])
            i = j
        out.extend(parts)
    return "".join(p[:1].upper() + p[1:].lower() for p in out)


class Row:
    """One service of the list: see the header of aws-sdk-services.tsv for the columns."""

    def __init__(self, name, botocore, error_prefix, deprecated, unsupported):
        self.name = name
        self.botocore = botocore
        self.error_prefix = error_prefix
        self.deprecated = deprecated
        self.unsupported = unsupported


def read_list(path):
    """The rows of the hand-kept list, checked; exits naming the line of the first problem."""
    rows, names = [], set()
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue

        def bad(why):
            sys.exit(f"{path.name}:{number}: {why}: {line!r}")

        cells = line.split("\t")
        if len(cells) > 5:
            bad("more than 5 columns")
        name, botocore, prefix, deprecated, unsupported = (cells + [""] * 5)[:5]
        if not re.fullmatch(r"[a-z0-9]+", name):
            bad("the name is not lowercase letters and digits")
        if name in names:
            bad("the name is listed twice")
        if not re.fullmatch(r"-|[a-z0-9][a-z0-9-]*", botocore):
            bad("the botocore column is neither a directory name nor -")
        if prefix and not re.fullmatch(r"[A-Z][A-Za-z0-9]*", prefix):
            bad("the error prefix is not PascalCase")
        if deprecated not in ("", "deprecated"):
            bad("the deprecated column is neither empty nor `deprecated`")
        operations = unsupported.split()
        if any(not re.fullmatch(r"[A-Z][A-Za-z0-9]*", op) for op in operations):
            bad("an unsupported operation is not PascalCase")
        names.add(name)
        rows.append(Row(name, None if botocore == "-" else botocore, prefix or None, deprecated == "deprecated",
                        operations))
    return sorted(rows, key=lambda row: row.name)


def camel(operation):
    """An operation as resources name it: `GetObject` -> `getObject`."""
    return operation[:1].lower() + operation[1:]


def download(directory):
    subprocess.run(
        [sys.executable, "-m", "pip", "download", f"botocore=={BOTOCORE_VERSION}", "--no-deps", "--only-binary",
         ":all:", "-q", "-d", directory],
        check=True,
    )
    return next(pathlib.Path(directory).glob("botocore-*.whl"))


def check_wheel(path):
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != BOTOCORE_SHA256:
        sys.exit(f"{path}: sha256 {digest}, not the pinned botocore {BOTOCORE_VERSION}'s {BOTOCORE_SHA256}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--wheel", help="a downloaded botocore wheel")
    args = parser.parse_args()
    rows = read_list(SERVICES)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = pathlib.Path(args.wheel) if args.wheel else download(tmp)
        check_wheel(wheel)
        generate(zipfile.ZipFile(wheel), rows)


def generate(wheel, rows):
    models = {}
    for name in wheel.namelist():
        parts = name.split("/")
        if len(parts) == 5 and parts[:2] == ["botocore", "data"] and parts[4] in ("service-2.json", "service-2.json.gz"):
            service, version = parts[2], parts[3]
            if service not in models or version > models[service][0]:
                models[service] = (version, name)
    unknown = [f"{row.name} -> {row.botocore}" for row in rows if row.botocore and row.botocore not in models]
    if unknown:
        sys.exit(f"botocore {BOTOCORE_VERSION} has no model in: {', '.join(unknown)}")
    MODELS.mkdir(parents=True, exist_ok=True)
    for old in MODELS.glob("*.json.z"):
        old.unlink()
    entries = []
    for row in rows:
        if row.botocore is None:
            continue
        path = models[row.botocore][1]
        raw = wheel.read(path)
        if path.endswith(".gz"):
            raw = gzip.decompress(raw)
        model = strip(json.loads(raw))
        service_id = model["metadata"].get("serviceId", row.botocore)
        data = json.dumps(model, separators=(",", ":"), sort_keys=False).encode()
        (MODELS / f"{row.name}.json.z").write_bytes(zlib.compress(data, 9))
        entries.append((row.name, row.error_prefix or pascal_words(service_id), row.botocore, row.deprecated))
    unsupported = sorted({(row.name, camel(op)) for row in rows for op in row.unsupported})
    absent = [row.name for row in rows if row.botocore is None]
    for dist in ("LICENSE.txt", "NOTICE"):
        member = f"botocore-{BOTOCORE_VERSION}.dist-info/{dist}"
        if member in wheel.namelist():
            (MODELS / f"botocore-{dist.split('.')[0]}.txt").write_bytes(wheel.read(member))
    lines = [
        "//! GENERATED by `scripts/aws-models.py` from `scripts/aws-sdk-services.tsv`; do not edit. The embedded service",
        "//! models, by Step Functions service name.",
        "",
        "/// One service of AWS SDK integrations.",
        "pub(crate) struct Entry {",
        "    /// The service's name in a resource ARN: `arn:aws:states:::aws-sdk:NAME:action`.",
        "    pub(crate) name: &'static str,",
        "    /// The PascalCase service name that prefixes its error names (`S3.NoSuchKeyException`, `DynamoDb.…`).",
        "    pub(crate) error_prefix: &'static str,",
        "    /// botocore's directory name for the service.",
        "    pub(crate) botocore: &'static str,",
        "    /// Whether AWS's guide lists the integration as deprecated.",
        "    pub(crate) deprecated: bool,",
        "    /// The zlib-compressed, documentation-stripped `service-2.json`.",
        "    pub(crate) model: &'static [u8],",
        "}",
        "",
        f"/// Every service of AWS's list that botocore {BOTOCORE_VERSION} has a model of, sorted by `name`: {len(entries)} of "
        f"the list's {len(rows)}.",
        f"/// Listed, but botocore {BOTOCORE_VERSION} has no model of them (it dropped the services AWS retired):",
    ]
    line = "///"
    for name in absent:
        if len(line) + len(name) + 2 > 120:
            lines.append(line)
            line = "///"
        line += f" `{name}`"
    lines.append(line + ".")
    lines.append("pub(crate) static SERVICES: &[Entry] = &[")
    for name, prefix, botocore, deprecated in entries:
        lines.append(
            f'    Entry {{ name: "{name}", error_prefix: "{prefix}", botocore: "{botocore}", '
            f'deprecated: {str(deprecated).lower()}, model: include_bytes!("../models/{name}.json.z") }},'
        )
    lines += [
        "];",
        "",
        "/// `(service, action)` pairs that AWS's guide says Step Functions does not support, sorted; the action as",
        "/// resources write it (camelCase).",
        "pub(crate) static UNSUPPORTED: &[(&str, &str)] = &[",
    ]
    lines += [f'    ("{service}", "{action}"),' for service, action in unsupported]
    lines += ["];", ""]
    INDEX.write_text("\n".join(lines))
    total = sum(p.stat().st_size for p in MODELS.glob("*.json.z"))
    print(f"{len(entries)} models of {len(rows)} listed services, {total / 1e6:.1f} MB compressed")


if __name__ == "__main__":
    main()
