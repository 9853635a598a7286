"""Import a user's file running its definitions only, never its script part.

A chapter script defines its layers and then trains at the top level (``for epoch in range(10001):``,
``model.train(...)``, ``main()``), downloads a dataset or saves a model. ``parity scan`` imports the
files it scans through ``definitions_only(files)``: what runs is every ``import``, ``def`` and
``class``, ``try``/``if`` blocks made of those, setup calls (``sys.path.append``, ``warnings.*``,
``np.random.seed``, ``nnfs.init()``), and the assignments above the script part. The script part
begins at the first top-level loop or ``with``, call statement (``dense1.forward(X)``), or assignment
that calls the file's own functions or classes or the user's other files (``dense1 = Layer_Dense(2,
64)``, ``(x_train, t_train), _ = load_mnist()``); from there on only definitions run. ``print(...)``
statements never run. What was left out is in ``PLANS[path]``, and a NameError for a name that only
the script part would have set says so (``not_run``)."""
import ast
import importlib.abc
import importlib.machinery
import importlib.util
import os
import re
import sys
import sysconfig
from dataclasses import dataclass, field

SETUP = re.compile(r"sys\.path\.\w+|sys\.setrecursionlimit|site\.addsitedir|warnings\.\w+|logging\.basicConfig"
                   r"|(np|numpy)\.(seterr|set_printoptions|random\.seed)|random\.seed|torch\.manual_seed"
                   r"|(matplotlib|mpl)\.use|nnfs\.init")
QUIET = {"print", "pprint", "display", "get_ipython"}   # left out, but they do not begin the script part
# an assignment whose value calls one of these reads or writes files, the network or the terminal
# (``log = open('results.txt', 'w')``, ``data = open('input.txt').read()``, ``path, _ = urlretrieve(url)``):
# it begins the script part, like a call statement
IO_CALLS = {"open", "input", "exec", "eval", "__import__", "urlretrieve", "urlopen", "breakpoint", "open_memmap"}
IO_MODULES = {"urllib", "requests", "http", "socket", "subprocess", "shutil", "pickle", "cPickle", "gzip", "tarfile",
              "zipfile", "wget", "gdown", "torchvision", "tensorflow", "tf", "keras", "sklearn", "sqlite3", "h5py",
              "codecs", "glob"}
IO_METHODS = {"open", "read", "read_text", "read_bytes", "readline", "readlines", "write", "write_text", "write_bytes",
              "load", "save", "savez", "savez_compressed", "savetxt", "loadtxt", "genfromtxt", "fromfile", "tofile",
              "memmap", "open_memmap", "urlretrieve", "urlopen", "download", "mkdir", "makedirs", "remove", "unlink",
              "rmtree", "system", "popen", "listdir", "scandir", "walk", "chdir", "touch", "mkstemp", "mkdtemp",
              "NamedTemporaryFile", "TemporaryFile", "TemporaryDirectory", "File", "to_csv", "to_pickle"}
IO_PREFIXES = ("read_", "load_", "fetch_", "download")     # pd.read_csv, d2l.load_data_fashion_mnist, fetch_openml
OS_PURE = {"path", "environ", "getenv", "getcwd", "sep", "linesep", "cpu_count", "fspath", "getpid", "getppid",
           "getuid", "uname"}
NOT_RUN = "which parity does not run"
PLANS = {}                                  # absolute path -> Plan, for the files imported through the loader


@dataclass
class Plan:
    dropped: list = field(default_factory=list)   # (line, source text, kind) of each statement left out
    start: tuple = None                            # (line, source text) where the script part began
    names: dict = field(default_factory=dict)      # name -> line of a left-out statement that sets it

    def summary(self):
        if not self.start:
            return "definitions only: its top-level print statements were not run"
        n = sum(line >= self.start[0] for line, _, _ in self.dropped)
        loops = [f"a {kind} at line {line}" for line, _, kind in self.dropped if kind]
        return (f"definitions only: the script part was not run, {n} top-level statement{'s' * (n > 1)} from line "
                f"{self.start[0]} ({self.start[1]})" + (f", among them {', '.join(loops[:3])}" if loops else "")
                + ("..." if len(loops) > 3 else ""))


def prune(tree, source, user_module=lambda module, level: level > 0):
    """Take the script part out of ``tree`` (a parsed module) in place; return the Plan.
    ``user_module(module, level)`` says whether an ``import`` names the user's own code."""
    p = _Pruner(tree, source, user_module)
    tree.body = p.body(tree.body)
    ast.fix_missing_locations(tree)
    return p.plan


class _Pruner:
    def __init__(self, tree, source, user_module):
        self.source, self.plan, self.started = source, Plan(), False
        # what calling begins the script part: the file's own functions and classes, the user's other files
        self.own = {s.name for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        for s in ast.walk(tree):
            if isinstance(s, ast.ImportFrom) and user_module(s.module or "", s.level):
                self.own.update(a.asname or a.name for a in s.names)
            elif isinstance(s, ast.Import):
                self.own.update(a.asname or a.name.split(".")[0] for a in s.names if user_module(a.name, 0))

    def body(self, stmts):
        return [k for k in (self.stmt(s) for s in stmts) if k is not None]

    def stmt(self, s):
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom,
                          ast.Global, ast.Nonlocal, ast.Pass)):
            return s
        if isinstance(s, ast.Expr):
            if isinstance(s.value, ast.Constant):                  # a docstring
                return s
            call = isinstance(s.value, ast.Call)
            if call and SETUP.fullmatch(_dotted(s.value.func) or ""):
                return s
            return self.drop(s, begins=call and _root(s.value.func) not in QUIET or isinstance(s.value, ast.Await))
        if isinstance(s, ast.If):
            if _main_guard(s.test):                                 # never true: the module is not __main__
                return s
            before = len(self.plan.dropped)
            s.body, s.orelse = self.body(s.body), self.body(s.orelse)
            if not any(not isinstance(k, ast.Pass) for k in s.body + s.orelse):
                return None if len(self.plan.dropped) > before else s
            s.body = s.body or [ast.Pass()]
            return s
        if isinstance(s, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            s.body = self.body(s.body) or [ast.Pass()]
            for h in s.handlers:
                h.body = self.body(h.body) or [ast.Pass()]
            s.orelse, s.finalbody = self.body(s.orelse), self.body(s.finalbody)
            return s
        if isinstance(s, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete, ast.Assert, ast.Raise)):
            if not self.started and not self.calls_own(s) and not _does_io(s):
                return s
        return self.drop(s, begins=True)                            # loops, with, match, and the rest

    def calls_own(self, s):
        return any(isinstance(c, ast.Call) and _root(c.func) in self.own for c in ast.walk(s))

    def drop(self, s, begins):
        text = _one_line(ast.get_source_segment(self.source, s) or type(s).__name__)
        kind = {ast.For: "for loop", ast.AsyncFor: "for loop", ast.While: "while loop", ast.With: "with block",
                ast.AsyncWith: "with block"}
        self.plan.dropped.append((s.lineno, text, kind.get(type(s), "")))
        if begins and not self.started:
            self.started, self.plan.start = True, (s.lineno, text)
        for node in ast.walk(s):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self.plan.names.setdefault(node.id, s.lineno)
        return None


def _does_io(stmt):
    """Whether a statement calls something that reads or writes outside the process (``IO_CALLS``...)."""
    for c in _walk_outside_functions(stmt):
        if not isinstance(c, ast.Call):
            continue
        if any(k.arg == "download" for k in c.keywords):          # datasets.MNIST(..., download=True)
            return True
        func, names = c.func, []
        while isinstance(func, (ast.Attribute, ast.Call, ast.Subscript)):
            if isinstance(func, ast.Attribute):
                names.insert(0, func.attr)
            func = func.func if isinstance(func, ast.Call) else func.value
        root = func.id if isinstance(func, ast.Name) else None
        last = names[-1] if names else root
        if root in IO_CALLS and not names or root in IO_MODULES or last in IO_METHODS \
                or (last or "").startswith(IO_PREFIXES) or root == "os" and names[:1] and names[0] not in OS_PURE:
            return True
    return False


def _walk_outside_functions(node):
    """``ast.walk`` that does not enter a lambda's or a nested function's body: defining
    ``load = lambda path: np.load(path)`` reads nothing."""
    todo = [node]
    while todo:
        n = todo.pop()
        yield n
        if not isinstance(n, (ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef)):
            todo.extend(ast.iter_child_nodes(n))


def _dotted(node):
    parts = []
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    return ".".join([node.id] + parts) if isinstance(node, ast.Name) else None


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _main_guard(test):
    return (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)
            and {_dotted(test.left), _dotted(test.comparators[0])} == {"__name__", None}
            and "__main__" in (getattr(test.left, "value", None), getattr(test.comparators[0], "value", None)))


def _one_line(text, width=60):
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


_SYSTEM = tuple(os.path.realpath(p) + os.sep for p in {sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"]})


def _users(module, level):
    """Whether ``import module`` (``level`` dots) names the user's code rather than the standard library
    or an installed package: a relative import, or one found outside them."""
    if level > 0:
        return True
    top = module.split(".")[0]
    if not top or top in sys.builtin_module_names:
        return False
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return False
    places = [spec.origin] if spec and spec.origin not in (None, "built-in", "frozen") else []
    places += list(spec.submodule_search_locations or []) if spec else []
    return any(not (os.path.realpath(f).startswith(_SYSTEM) or "site-packages" in f or "dist-packages" in f)
               for f in places)


def _key(path):
    return os.path.normcase(os.path.abspath(path))


class _Loader(importlib.machinery.SourceFileLoader):
    def get_code(self, fullname):
        # never from or into __pycache__: the cached bytecode is the whole file's
        path = self.get_filename(fullname)
        source = importlib.util.decode_source(self.get_data(path))
        tree = ast.parse(source, path)
        PLANS[_key(path)] = prune(tree, source, _users)
        return compile(tree, path, "exec", dont_inherit=True)


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, files):
        self.files = {_key(f) for f in files}
        # a package's __init__.py is imported by its folder's name
        self.names = {os.path.basename(os.path.dirname(f)) if os.path.basename(f) == "__init__.py"
                      else os.path.splitext(os.path.basename(f))[0] for f in files}

    def find_spec(self, fullname, path, target=None):
        if fullname.rpartition(".")[2] not in self.names:
            return None                 # every other import (torch's own, lazily) is not looked up twice
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not spec.origin or _key(spec.origin) not in self.files:
            return None
        spec.loader = _Loader(fullname, spec.origin)
        return spec


class definitions_only:
    """``with definitions_only(files):`` imports of those files (by path) run their definitions only."""
    def __init__(self, files):
        self.finder = _Finder(files)

    def __enter__(self):
        sys.meta_path.insert(0, self.finder)
        return self

    def __exit__(self, *exc):
        if self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)
        for f in self.finder.files:
            PLANS.pop(f, None)


def not_run(exc, filename):
    """For a NameError raised in ``filename`` for a name only its script part would have set: the
    text that says so, else None."""
    plan = PLANS.get(_key(filename))
    name = getattr(exc, "name", None)
    if not isinstance(exc, NameError) or plan is None or name not in plan.names:
        return None
    return (f"'{name}' is set at {os.path.basename(filename)}:{plan.names[name]}, in the file's script part "
            f"(from line {plan.start[0]}: {plan.start[1]}), {NOT_RUN}: set it above line {plan.start[0]} "
            f"or inside the function that uses it") if plan.start else None
