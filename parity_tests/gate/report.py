"""A list of check results, its table, and its JSON and JUnit forms."""
import json
from collections import OrderedDict
from xml.sax.saxutils import escape, quoteattr

from numpy_impl.atomic import atomic_write


class ParityError(AssertionError):
    """Raised by ``Report.raise_if_failed``; the message lists every failed check."""


class Report:
    def __init__(self, results=None):
        self.results = list(results or [])

    def extend(self, other):
        self.results.extend(other.results if isinstance(other, Report) else other)
        return self

    @property
    def passed(self):
        return all(r.passed for r in self.results)

    @property
    def failures(self):
        return [r for r in self.results if not r.passed]

    def raise_if_failed(self):
        if not self.passed:
            raise ParityError("parity failed:\n" + "\n".join("  " + r.message() for r in self.failures))
        return self

    def rows(self):
        """One row per (component, check, dtype): worst errors over the samples."""
        groups = OrderedDict()
        for r in self.results:
            groups.setdefault((r.component, r.check, r.dtype), []).append(r)
        for (component, check, dtype), rs in groups.items():
            yield {"component": component, "check": check, "dtype": dtype, "samples": len(rs),
                   "max_abs": max(r.max_abs for r in rs), "max_rel": max(r.max_rel for r in rs),
                   "tolerance": rs[0].tolerance, "passed": all(r.passed for r in rs)}

    def table(self):
        rows = list(self.rows())
        widths = [max([len("component")] + [len(r["component"]) for r in rows]),
                  max([len("check")] + [len(r["check"]) for r in rows])]
        head = (f"{'component':<{widths[0]}}  {'check':<{widths[1]}}  {'dtype':<7}  {'n':>3}  "
                f"{'max abs':>9}  {'max rel':>9}  {'tolerance':<38}  verdict")
        lines = [head, "-" * len(head)]
        for r in rows:
            lines.append(f"{r['component']:<{widths[0]}}  {r['check']:<{widths[1]}}  {r['dtype']:<7}  "
                         f"{r['samples']:>3}  {r['max_abs']:>9.2e}  {r['max_rel']:>9.2e}  {r['tolerance']:<38}  "
                         f"{'PASS' if r['passed'] else 'FAIL'}")
        n_fail = len(self.failures)
        lines.append(f"{len(self.results) - n_fail} passed, {n_fail} failed")
        return "\n".join(lines)

    def __str__(self):
        out = self.table()
        if self.failures:
            out += "\n\nFailures:\n" + "\n".join("  " + r.message() for r in self.failures)
        return out

    def to_json(self, path):
        data = {"passed": self.passed, "total": len(self.results), "failed": len(self.failures),
                "summary": list(self.rows()), "results": [r.as_dict() for r in self.results]}
        _atomic_write(path, json.dumps(data, indent=1, default=float))

    def to_junit(self, path):
        cases = []
        for r in self.results:
            name = f"{r.check}[{r.dtype}|{r.sample}]"
            body = "" if r.passed else f"<failure message={quoteattr(r.message())}>{escape(r.message())}</failure>"
            cases.append(f'  <testcase classname={quoteattr("parity." + r.component)} name={quoteattr(name)}>'
                         f"{body}</testcase>")
        xml = (f'<?xml version="1.0" encoding="utf-8"?>\n<testsuite name="parity" tests="{len(self.results)}" '
               f'failures="{len(self.failures)}" errors="0">\n' + "\n".join(cases) + "\n</testsuite>\n")
        _atomic_write(path, xml)


def _atomic_write(path, text):
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))
