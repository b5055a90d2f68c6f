"""How pytest-xdist shares the tests between its workers (`make test` runs `--dist loadscope`), and the
Node.js the CDK tests run on (below).

Each module runs whole on one worker, so a model, a clone or a synthesized app its tests share is built
once, not once per worker. The modules in SPREAD share their costly work per parameter set, not per
module (serving's parity tests: one small model and scikit-learn's answers per configuration), so they
go case by case: every test with the same parameters to one worker, each case to whichever worker is
free, in the module's order (that module lists its slowest cases first). The work is handed out roughly
longest first, so that no long module starts last and keeps one worker busy while the other waits: the
modules with an `e2e` test (they train, serve or clone), then the other modules, then the spread cases,
which fill the gaps at the end. (pytest-xdist's own order, with `--loadscope-reorder`, is by number of
tests, which puts the long two-test e2e modules last.)
"""

import os
from pathlib import Path

import pytest
from xdist.scheduler import LoadScopeScheduling

# Any test that imports the CDK app (aws_cdk, through jsii) starts a Node.js process. When `npm ci` has
# installed the Node pinned in infrastructure/package.json, every test uses it, as `make synth` does: it
# synthesizes about twice as fast as an older system Node, without an end-of-life banner. Without it,
# the system `node` does the same work.
_PINNED_NODE = Path(__file__).parent / "infrastructure" / "node_modules" / ".bin" / "node"
if _PINNED_NODE.is_file():
    os.environ.setdefault("JSII_NODE", str(_PINNED_NODE))

# Many cases, each a few tests sharing one small model: scheduled case by case (by parameter set).
SPREAD = ("serving/tests/unit/test_classifier_parity.py",)


def _module(nodeid: str) -> str:
    return nodeid.split("::")[0]


def _case(nodeid: str) -> str:
    """A spread test's unit of work: its module and parameter id (a test without parameters alone)."""
    if "[" not in nodeid:
        return nodeid
    return _module(nodeid) + "[" + nodeid.split("[", 1)[1]


class ModuleScheduling(LoadScopeScheduling):
    """`--dist loadscope` with the SPREAD modules' tests scheduled case by case."""

    def _split_scope(self, nodeid: str) -> str:
        return _case(nodeid) if _module(nodeid) in SPREAD else _module(nodeid)


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    if config.getvalue("dist") == "loadscope":
        return ModuleScheduling(config, log)
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On a pytest-xdist worker: the order it reports its tests in, which `--no-loadscope-reorder` keeps."""
    if not hasattr(config, "workerinput"):
        return
    e2e_modules = {_module(item.nodeid) for item in items if item.get_closest_marker("e2e")}

    def turn(item: pytest.Item) -> int:
        if _module(item.nodeid) in SPREAD:
            return 2
        return 0 if _module(item.nodeid) in e2e_modules else 1

    items.sort(key=turn)  # stable: each module's tests keep their order
