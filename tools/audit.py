"""`make audit`: every pinned dependency (requirements.lock) checked against PyPI's vulnerability data (pip-audit).

Exit 0: every package audited, no known vulnerability.  Exit 1: known
vulnerabilities (listed).  Exit 3: some packages could not be audited (PyPI's
vulnerability data unreachable, or a package PyPI does not know): the audit is
NOT done, and this says so on stderr instead of passing silently.  With
`--optional` (what `make test` uses) that case is a loud warning and exit 0, so
that a machine without the service can still run the tests; vulnerabilities
always fail.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    optional = "--optional" in sys.argv[1:]
    pip_audit = Path(sys.executable).with_name("pip-audit")
    done = subprocess.run([str(pip_audit), "-f", "json", "-r", str(ROOT / "requirements.lock"), "--no-deps",
                           "--disable-pip", "--progress-spinner", "off"], capture_output=True, text=True, check=False)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        print(f"audit: pip-audit failed (exit {done.returncode}): {done.stderr.strip()[-500:]}", file=sys.stderr)
        return 3 if not optional else 0
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if "skip_reason" in d]
    for dep in vulnerable:
        ids = ", ".join(v["id"] + (f" (fixed in {', '.join(v['fix_versions'])})" if v.get("fix_versions") else "")
                        for v in dep["vulns"])
        print(f"audit: {dep['name']} {dep['version']}: {ids}", file=sys.stderr)
    if vulnerable:
        print(f"audit: FAILED: {len(vulnerable)} pinned dependencies have known vulnerabilities", file=sys.stderr)
        return 1
    if skipped:
        print(f"audit: NOT DONE: {len(skipped)} of {len(dependencies)} packages could not be audited "
              f"(first: {skipped[0]['skip_reason']}); is PyPI's vulnerability data reachable from here?",
              file=sys.stderr)
        return 0 if optional else 3
    print(f"audit: {len(dependencies)} pinned dependencies, no known vulnerabilities")
    return 0


if __name__ == "__main__":
    sys.exit(main())
