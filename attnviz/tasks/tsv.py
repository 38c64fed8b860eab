"""tsv: the user's own `source<TAB>target` file, every bad line named with its reason."""

from __future__ import annotations

from attnviz.i18n import N_, _
from attnviz.tasks.base import Corpus, DataError, Pair, Rejected, Task, held_out, split

MAX_TSV_BYTES = 20_000_000  # an upload limit that keeps the app responsive
# UTF-32LE's byte-order mark starts like UTF-16LE's, so the UTF-32 marks are tried first.
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def wide_encoding(data: bytes) -> str | None:
    """The name "UTF-16" or "UTF-32" when `data` looks written in one - a byte-order mark, or mostly
    ASCII text with NUL bytes between its letters (as Windows' "Unicode" saves it) - else None. Such a
    file is text in another encoding, not binary, and the user can fix it by saving it as UTF-8."""
    for bom, name in _WIDE_BOMS:
        if data.startswith(bom):
            return name
    head = data[:4096]

    def zeros(part: bytes) -> float:
        return part.count(0) / max(len(part), 1)

    for width, name in ((4, "UTF-32"), (2, "UTF-16")):
        if len(head) < 2 * width:
            continue
        lanes = [head[i::width] for i in range(width)]
        for letters in (0, width - 1):  # little-endian: the letters' bytes come first; big-endian: last
            rest = [lane for i, lane in enumerate(lanes) if i != letters]
            if zeros(lanes[letters]) < 0.1 and all(zeros(lane) > 0.9 for lane in rest):
                return name
    return None


def _check_line(raw: bytes, max_line_chars: int) -> Pair | str | None:
    """A Pair, a reason to reject the line, or None for a blank line."""
    if b"\x00" in raw:
        return _("contains NUL byte")
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _("not UTF-8")
    if not line.strip() and "\t" not in line:
        return None
    if len(line) > max_line_chars:
        return _("line longer than {n} characters").format(n=max_line_chars)
    if line.count("\t") != 1:
        return _("no tab") if "\t" not in line else _("more than one tab")
    source, target = (side.strip() for side in line.split("\t"))
    if not source:
        return _("empty source")
    if not target:
        return _("empty target")
    return Pair(source, target)


def read_tsv(
    data: bytes, *, max_line_chars: int = 1000, max_bytes: int = MAX_TSV_BYTES
) -> tuple[list[Pair], list[Rejected]]:
    """Parse `source<TAB>target` lines; every bad line comes back as a Rejected with its reason."""
    if len(data) > max_bytes:
        raise DataError(
            _("The file is over the {mb:g} MB limit: upload a smaller one.").format(mb=max_bytes / 1e6)
        )
    if wide := wide_encoding(data):  # otherwise every line would be "contains NUL byte"
        raise DataError(
            _("This file looks like {encoding} text: save it as UTF-8 and try again.").format(encoding=wide)
        )
    data = data.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 BOM, as written by some spreadsheets
    pairs, rejected = [], []
    # Decode line by line, so one bad line is reported instead of sinking the whole file.
    for number, raw in enumerate(data.split(b"\n"), start=1):
        result = _check_line(raw.removesuffix(b"\r"), max_line_chars)
        if isinstance(result, Pair):
            pairs.append(result)
        elif result is not None:
            rejected.append(Rejected(number, result))
    if not pairs:
        line = _("line {line}: {reason}")
        first = "; ".join(line.format(line=r.line, reason=r.reason) for r in rejected[:3])
        said = _("No usable lines ({lines}): write source<TAB>target lines in UTF-8.").format(lines=first)
        raise DataError(
            said
            if rejected
            else _("No usable lines (the file is empty): write source<TAB>target lines in UTF-8.")
        )
    return pairs, rejected


def load(seed: int, path: str | None, size: int | None) -> Corpus:
    if path is None:
        raise DataError(_("The tsv task needs a file: pass the path to a source<TAB>target file."))
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_TSV_BYTES + 1)  # one byte past the limit is enough to refuse
    except OSError as e:
        raise DataError(
            _("Cannot read {path} ({error}): check the path.").format(path=path, error=e.strerror)
        ) from e
    pairs, rejected = read_tsv(data)
    n = len(pairs)
    train, dev, test = split(pairs, test=held_out(n, 500), dev=held_out(n, 500), seed=seed)
    return Corpus("tsv", train[:size], dev, test, tuple(rejected), accepted_lines=n)


TASK = Task(
    name="tsv",
    title=N_("your own file"),
    use=N_("maps its own training file's sources to targets"),
    data=N_("a user's own source<TAB>target file"),
    load=load,  # an upload may be words or characters: unigram pieces (the default kinds) decide
    from_file=True,
)
