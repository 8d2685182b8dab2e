"""Vendor GOV.UK Frontend's built assets into the package (run when upgrading it).

    npm pack govuk-frontend@6.6.0 && tar xzf govuk-frontend-6.6.0.tgz
    python scripts/vendor_govuk.py package/

Copies ``dist/govuk/govuk-frontend.min.css`` and ``.min.js`` and the favicon into
``src/placement/web/static/govuk/``. The GDS Transport font is licensed for GOV.UK services
only, and this is a local authority's service: the ``@font-face`` rules are removed, so the
pages use GOV.UK Frontend's own fallback (Arial); the CSS's asset URLs are pointed at the
package's static path. GOV.UK Frontend is MIT-licensed (Crown copyright, Government Digital
Service); the licence is written beside the files.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "placement" / "web" / "static" / "govuk"

LICENCE = """The MIT License (MIT)

Copyright (c) 2018 Crown Copyright (Government Digital Service)

Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without
restriction, including without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""


def main(package: Path) -> None:
    dist = package / "dist" / "govuk"
    version = json.loads((package / "package.json").read_text())["version"]
    OUT.mkdir(parents=True, exist_ok=True)
    css = (dist / "govuk-frontend.min.css").read_text()
    css = re.sub(r"@font-face\{[^}]*\}", "", css)
    css = css.replace("/assets/images/", "/static/govuk/images/")
    css = re.sub(r"/\*# sourceMappingURL=[^*]*\*/", "", css)
    (OUT / "govuk-frontend.min.css").write_text(css)
    js = (dist / "govuk-frontend.min.js").read_text()
    js = re.sub(r"//# sourceMappingURL=\S+", "", js)
    (OUT / "govuk-frontend.min.js").write_text(js)
    (OUT / "images").mkdir(exist_ok=True)
    for name in ("favicon.ico", "favicon.svg"):
        shutil.copy(dist / "assets" / "images" / name, OUT / "images" / name)
    (OUT / "LICENSE").write_text(LICENCE)
    (OUT / "SOURCE.md").write_text(
        f"GOV.UK Frontend {version} (npm `govuk-frontend`), built assets: "
        "https://github.com/alphagov/govuk-frontend. MIT licence (LICENSE). Vendored by "
        "`scripts/vendor_govuk.py`: the GDS Transport @font-face rules are removed (that font "
        "is for GOV.UK services only); pages fall back to Arial.\n"
    )
    print(f"vendored GOV.UK Frontend {version} into {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
