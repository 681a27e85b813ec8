#!/usr/bin/env python3
"""Generate data/countries.tsv: ISO 3166-1 countries with names in en/es/pt/fr
and their UN M49 region, sub-region and intermediate region.

Install the two data packages first (no other network access is needed):

    apt-get update && apt-get install -y iso-codes      # Debian, tested with 4.15.0-1
    pip install --no-deps hdx-python-country==4.2.5      # PyPI; only its CSV is read

Then, from the repository root:

    python3 scripts/gen-countries.py            # (re)writes data/countries.tsv
    python3 scripts/gen-countries.py --check    # exit 1 if the file is out of date

Needs only the Python 3 standard library (3.9+). Output is deterministic: the
same package versions always give the same bytes. data/README.md documents
every column, the naming rules and the licenses.

Sources:
  * codes and names: Debian iso-codes, /usr/share/iso-codes/json/iso_3166-1.json
    plus the gettext catalogues /usr/share/locale/{es,pt,fr}/LC_MESSAGES/iso_3166-1.mo
    (pt = European Portuguese catalogue, not pt_BR).
  * M49 regions: the "Countries & Territories Taxonomy" CSV shipped inside the
    hdx-python-country wheel (OCHA's table; its Region/Sub-region/Intermediate
    Region columns are UNSD's M49 codes and English names).
"""

import argparse
import csv
import gettext
import importlib.metadata
import importlib.resources
import json
import os
import subprocess
import sys

ISO_JSON = "/usr/share/iso-codes/json/iso_3166-1.json"
LOCALE_DIR = "/usr/share/locale"
DOMAIN = "iso_3166-1"
# Output column -> gettext catalogue. "pt" is European Portuguese
# (Benim, Vietname); "pt_BR" (Benin, Vietnã) also exists but is not used.
LANGS = (("es", "es"), ("pt", "pt"), ("fr", "fr"))
# UNSD's own M49 names in these languages are in the HDX table; they are used
# only when iso-codes has no translation at all for a country (see below).
M49_NAME_COLUMN = {"es": "M49 Spanish", "fr": "M49 French"}

HDX_DIST = "hdx-python-country"
HDX_PACKAGE = "hdx.location"
HDX_CSV = "Countries & Territories Taxonomy MVP - C&T Taxonomy.csv"

# Versions the committed data/countries.tsv was generated with.
EXPECTED_VERSIONS = {"iso-codes": "4.15.0-1", HDX_DIST: "4.2.5"}

COLUMNS = (
    "alpha3", "alpha2", "numeric",
    "name_en", "name_es", "name_pt", "name_fr",
    "region_code", "region",
    "subregion_code", "subregion",
    "intermediate_code", "intermediate",
)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUTPUT = os.path.join(REPO_ROOT, "data", "countries.tsv")


class _Missing(gettext.NullTranslations):
    """Fallback that marks a msgid the catalogue does not translate."""

    def gettext(self, message):
        return None


def load_catalogue(lang):
    path = os.path.join(LOCALE_DIR, lang, "LC_MESSAGES", DOMAIN + ".mo")
    with open(path, "rb") as fp:
        catalogue = gettext.GNUTranslations(fp)
    catalogue.add_fallback(_Missing())
    return catalogue


def translate(catalogue, msgid):
    """Translation of msgid, or None if the catalogue has none."""
    text = catalogue.gettext(msgid)
    return text or None


def dpkg_version(package):
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", package],
            capture_output=True, text=True, check=True,
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.CalledProcessError):
        return None


def m49_code(value):
    """HDX writes M49 codes as plain integers ("19"); M49 uses 3 digits."""
    value = value.strip()
    if not value:
        return ""
    if not value.isdigit():
        raise SystemExit(f"unexpected M49 code {value!r}")
    return value.zfill(3)


def load_hdx():
    path = importlib.resources.files(HDX_PACKAGE).joinpath(HDX_CSV)
    with path.open("r", encoding="utf-8", newline="") as fp:
        rows = list(csv.DictReader(fp))
    by_alpha3 = {}
    for row in rows:
        alpha3 = row["ISO 3166-1 Alpha 3-Codes"].strip()
        if not alpha3:
            continue  # non-ISO entries (Kosovo, Sark, Canary Islands, ...)
        if alpha3 in by_alpha3:
            raise SystemExit(f"HDX table lists {alpha3} twice")
        by_alpha3[alpha3] = row
    return by_alpha3


def build_rows(notes):
    with open(ISO_JSON, encoding="utf-8") as fp:
        countries = json.load(fp)["3166-1"]
    catalogues = {col: load_catalogue(lang) for col, lang in LANGS}
    hdx = load_hdx()

    names_of_code = {}  # M49 code -> name, to check the table is consistent
    rows = []
    for c in countries:
        alpha3, alpha2, numeric = c["alpha_3"], c["alpha_2"], c["numeric"]
        m49 = hdx.get(alpha3)

        # Names: the short readable common_name where iso-codes has one
        # ("Bolivia", not "Bolivia, Plurinational State of"), else name.
        name = c["name"]
        common = c.get("common_name")
        row = {
            "alpha3": alpha3, "alpha2": alpha2, "numeric": numeric,
            "name_en": common or name,
        }
        for col, lang in LANGS:
            text = translate(catalogues[col], common) if common else None
            if common and text is None:
                notes.append(f"{alpha3} {lang}: no translation of common_name "
                             f"{common!r}, used translated name")
            if text is None:
                text = translate(catalogues[col], name)
            if text is None and m49 is not None and col in M49_NAME_COLUMN:
                text = m49[M49_NAME_COLUMN[col]].strip() or None
                if text is not None:
                    notes.append(f"{alpha3} {lang}: iso-codes has no translation "
                                 f"of {name!r}, used UNSD M49 name {text!r}")
            if text is None:
                raise SystemExit(f"{alpha3}: no {lang} name in any source")
            row["name_" + col] = text

        # Regions.
        if m49 is None:
            notes.append(f"{alpha3}: not in the HDX/M49 table, regions left empty")
            m49 = {}
        else:
            if m49["ISO 3166-1 Alpha 2-Codes"].strip() != alpha2:
                raise SystemExit(f"{alpha3}: alpha-2 differs between sources")
            hdx_numeric = m49_code(m49["m49 numerical code"])
            if hdx_numeric and hdx_numeric != numeric:
                raise SystemExit(f"{alpha3}: numeric {numeric} vs M49 {hdx_numeric}")
            if not m49["M49 English"].strip():
                notes.append(f"{alpha3}: not listed by UNSD M49 (no M49 name); "
                             f"regions are OCHA's: {m49['Region Name']} / "
                             f"{m49['Sub-region Name']}")
        for key, code_col, name_col in (
            ("region", "Region Code", "Region Name"),
            ("subregion", "Sub-region Code", "Sub-region Name"),
            ("intermediate", "Intermediate Region Code", "Intermediate Region Name"),
        ):
            code = m49_code(m49.get(code_col, ""))
            label = m49.get(name_col, "").strip()
            if bool(code) != bool(label):
                raise SystemExit(f"{alpha3}: {key} code/name mismatch")
            if code and names_of_code.setdefault(code, label) != label:
                raise SystemExit(f"M49 {code} named both {names_of_code[code]!r} and {label!r}")
            row[key + "_code"] = code
            row[key] = label
        if not row["region_code"]:
            notes.append(f"{alpha3}: no M49 region")
        rows.append(row)

    rows.sort(key=lambda r: r["alpha3"])
    seen = set()
    for row in rows:
        if row["alpha3"] in seen:
            raise SystemExit(f"duplicate {row['alpha3']}")
        seen.add(row["alpha3"])
        for col in COLUMNS:
            value = row[col]
            if any(ch in value for ch in "\t\r\n") or value != value.strip():
                raise SystemExit(f"{row['alpha3']}: bad characters in {col}: {value!r}")
    return rows


def render(rows):
    lines = ["\t".join(COLUMNS)]
    lines += ["\t".join(row[col] for col in COLUMNS) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default=DEFAULT_OUTPUT,
                        help="file to write (default: data/countries.tsv)")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if the output file differs")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="do not print the notes about fallbacks")
    args = parser.parse_args()

    versions = {
        "iso-codes": dpkg_version("iso-codes"),
        HDX_DIST: importlib.metadata.version(HDX_DIST),
    }
    for package, expected in EXPECTED_VERSIONS.items():
        if versions[package] != expected:
            print(f"warning: {package} is {versions[package]}, the committed "
                  f"table was made with {expected}; output may differ",
                  file=sys.stderr)

    notes = []
    rows = build_rows(notes)
    data = render(rows)
    if not args.quiet:
        for note in notes:
            print("note: " + note, file=sys.stderr)

    if args.check:
        try:
            with open(args.output, "rb") as fp:
                current = fp.read()
        except FileNotFoundError:
            current = None
        if current != data:
            print(f"{args.output} is out of date; run scripts/gen-countries.py",
                  file=sys.stderr)
            return 1
        print(f"{args.output} is up to date ({len(rows)} rows)",
              file=sys.stderr)
        return 0

    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    tmp = args.output + ".tmp"
    with open(tmp, "wb") as fp:
        fp.write(data)
    os.replace(tmp, args.output)
    print(f"wrote {args.output} ({len(rows)} rows)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
