#!/usr/bin/env python3
"""Regenerates the fuzz targets' seed corpora (fuzz/corpus/TARGET/) from the presets
(core/presets), the conformance vectors (tests/vectors) and the examples (examples/).

Each seed is named by the SHA-1 of its bytes (as libFuzzer names its own), so running this
again is idempotent. Run from anywhere: python3 fuzz/seeds.py
"""
import glob
import hashlib
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
PRESETS = ["000", "001", "002", "003", "004"]

# plugin_output: what the example plugins (plugins/) return, and hostile variants: control
# and bidi characters, tight limits, bad codes, params that are not an object.
PLUGIN_OUTPUT = [
    '{"limits":{"maxOutputBytes":300,"maxViolations":2,"maxPathParts":2},"violations":[{"code":"a","path":["x",0,"y"],"message":"m\\u202e\\u0000z","params":"{}"},{"code":"b_2","path":[],"message":"","params":"{\\"k\\":[1,2,{\\"n\\":null}]}"}],"deny":["four_eyes_required","a second approver is needed"]}',
    '{"violations":[{"code":"email_domain_not_allowed","path":["email"],"error":true,"message":"the domain `example.com` is not allowed","params":"{\\"domain\\":\\"example.com\\",\\"allowed\\":[\\"acme.example\\"]}"}],"deny":null}',
    '{"violations":[{"code":"Bad","path":[],"message":"","params":"[]"}]}',
    '{"limits":{"maxOutputBytes":64},"violations":[],"deny":["x","yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"]}',
    '{"violations":[{"code":"contractor_end_date","path":["endDate"],"error":false,"message":"contractors need an end date","params":"{\\"maxDays\\":365}"}],"deny":["nope","\\u001b[31mred"]}',
]


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def compact(v):
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def main():
    cases = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "vectors", "*.json"))):
        with open(path, encoding="utf-8") as f:
            cases.extend(json.load(f)["cases"])
    presets = []
    for path in sorted(glob.glob(os.path.join(ROOT, "core", "presets", "*.json"))):
        with open(path, encoding="utf-8") as f:
            presets.append(f.read())

    # policy: every preset and every inline policy of the vectors.
    for text in presets:
        write("policy", text)
    for c in cases:
        if "policy" in c["request"]:
            write("policy", compact(c["request"]["policy"]))

    # api: every vector request as sent, and one request per preset inlined as a policy.
    for c in cases:
        write("api", compact(c["request"]))
    for text in presets:
        req = {"policy": json.loads(text), "op": "validate",
               "input": {"user": {"email": "a@example.com"}, "today": "2026-11-22"}}
        write("api", compact(req))

    # validate: the validation requests (the target reads preset/policy, lang, input).
    for c in cases:
        r = c["request"]
        if r.get("op") == "validate":
            write("validate", compact({k: v for k, v in r.items() if k != "op" and k != "contract"}))
    for i, name in enumerate(["000-user-bad", "000-user", "001-user", "002-user", "003-user", "004-user"]):
        with open(os.path.join(ROOT, "examples", name + ".json"), encoding="utf-8") as f:
            user = json.load(f)
        preset = name[:3]
        write("validate", compact({"preset": preset, "input": {"user": user, "today": "2026-11-22"}}))

    # import: a selector byte (preset, format, records) then the file: the vectors' import
    # data, the example CSV, and the validation vectors' records as JSON Lines.
    for c in cases:
        r = c["request"]
        if r.get("op") == "import" and isinstance(r.get("input"), dict):
            data = r["input"].get("data", "")
            preset = PRESETS.index(r["preset"]) if r.get("preset") in PRESETS else 4
            jsonl = r["input"].get("format") == "jsonLines"
            write("import", bytes([preset | (8 if jsonl else 0)]) + data.encode())
    with open(os.path.join(ROOT, "examples", "004-import.csv"), "rb") as f:
        write("import", bytes([4 | 16]) + f.read())
    by_preset = {}
    for c in cases:
        r = c["request"]
        if r.get("op") == "validate" and isinstance(r.get("input"), dict) and isinstance(r["input"].get("user"), dict):
            by_preset.setdefault(str(r.get("preset", "000"))[:3], []).append(r["input"]["user"])
    for preset, users in sorted(by_preset.items()):
        idx = next((i for i, p in enumerate(PRESETS) if preset.startswith(p) or p.startswith(preset)), 0)
        lines = "\n".join(compact(u) for u in users[:8])
        write("import", bytes([idx | 8 | 16]) + lines.encode())
        fields = sorted({k for u in users[:8] for k in u if isinstance(u.get(k), (str, int, bool))})
        csv = ",".join(fields) + "\n" + "\n".join(
            ",".join('"' + str(u.get(k, "")).replace('"', '""') + '"' for k in fields) for u in users[:8])
        write("import", bytes([idx]) + csv.encode())

    # hierarchy: the vectors' directories as rows, then moves, inserts and reindexes.
    for c in cases:
        i = c["request"].get("input")
        if not isinstance(i, dict):
            continue
        for key in ("directory", "accounts"):
            rows = [a for a in i.get(key, []) if isinstance(a, dict) and "id" in a]
            if not rows:
                continue
            text = "\n".join(a["id"] + (" " + a["manager"] if a.get("manager") else "") for a in rows)
            ids = [a["id"] for a in rows]
            ops = ["i n1 " + ids[0], "m " + ids[-1] + " n1", "r", "m " + ids[0] + " " + ids[-1], "m n1", "r"]
            write("hierarchy", text + "\n--\n" + "\n".join(ops) + "\n")
    write("hierarchy", "a\nb a\nc b\nd c\ne a\nb\n--\nm a e\nm e\nr\ni f d\nm b f\nr\n")
    write("hierarchy", "a b\nb c\nc a\nd d\ne x\na\n--\ni g a\nm g g\nr\n")

    for text in PLUGIN_OUTPUT:
        write("plugin_output", text)


if __name__ == "__main__":
    main()
