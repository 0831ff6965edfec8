"""The subtariff script: a tariff's few assignments that prefill the phone form.

A net47-style script looks like this::

    Darmowe_Minuty = 300;
    Voip_Limit_kwotowy = 150.00;
    Voip_Context = "podstawowy";   # an Asterisk dialplan context

It is typed by staff and its context ends up in Asterisk's database, so it is read by a
small grammar of our own (a tokenizer and a recursive-descent parser), never by ``eval`` or
a template engine: every input either yields known keys with checked values or a
``ScriptError`` that names the line and column. ``render`` writes the canonical text back
and refuses anything ``parse`` would refuse, so the two always agree.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

# Longer scripts are refused outright: no tariff needs more, and it bounds the work.
MAX_LENGTH = 10_000

INTEGER = "integer"
MONEY = "money"
CONTEXT = "context"

# Money values have whole grosze: at most this many decimal places.
MONEY_PLACES = 2
_CENT = Decimal("0.01")

# The only characters of an Asterisk context name we let through to Asterisk's database.
CONTEXT_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


@dataclass(frozen=True)
class Variable:
    """One assignable variable. For CONTEXT, minimum and maximum bound the length."""

    name: str
    key: str
    kind: str
    minimum: int | Decimal
    maximum: int | Decimal


# Script name -> variable, in the order ``render`` writes them.
VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in (
        Variable("Darmowe_Minuty", "free_minutes", INTEGER, 0, 1_000_000),
        Variable("Darmowe_Numery", "free_numbers_count", INTEGER, 0, 100),
        Variable("Voip_Limit_kwotowy", "amount_limit", MONEY, Decimal("0.00"),
                 Decimal("999999.99")),
        Variable("Voip_Prog_powiadamiania", "notify_threshold", MONEY, Decimal("0.00"),
                 Decimal("999999.99")),
        Variable("Voip_Context", "context", CONTEXT, 1, 40),  # ps_endpoints.context: 40
    )
}
_BY_KEY = {v.key: v for v in VARIABLES.values()}

# More significant digits than this is out of every range: no need to convert them (and
# Python refuses int() of very long digit strings anyway).
_MAX_DIGITS = 12


class ScriptError(ValueError):
    """What is wrong and where: 1-based line and column (in characters); render's errors,
    which have no place in a text, carry line 0 and column 0."""

    def __init__(self, message: str, line: int = 0, column: int = 0):
        self.message = message
        self.line = line
        self.column = column
        if line:
            text = _("line %(line)d, column %(column)d: %(message)s") % {
                "line": line, "column": column, "message": message}
        else:
            text = message
        super().__init__(text)

    def __reduce__(self):
        # Pickled with its own arguments (a Celery task may carry it), not ValueError's.
        return type(self), (self.message, self.line, self.column)


# --- Tokens -------------------------------------------------------------------------------

NAME, NUMBER, STRING, EQUALS, SEMICOLON, END = "name", "number", "string", "=", ";", "end"


@dataclass(frozen=True)
class Token:
    """A token and where it starts and ends (the end is where a missing ';' belongs)."""

    kind: str
    text: str  # the source text; for STRING the unescaped content
    line: int
    column: int
    end_line: int
    end_column: int
    negative: bool = False  # NUMBER only
    whole: str = ""  # NUMBER only: the digits before the point
    fraction: str | None = None  # NUMBER only: the digits after it, None without a point


def _is_name_start(ch: str) -> bool:
    return ch == "_" or ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def _is_name_char(ch: str) -> bool:
    return _is_name_start(ch) or _is_digit(ch)


def _is_digit(ch: str) -> bool:
    # str.isdigit() would let in other scripts' digits, which Decimal() also accepts.
    return "0" <= ch <= "9"


def _show_char(ch: str) -> str:
    """A character fit for a message: control characters and lone surrogates as U+XXXX,
    so that the message itself can always be printed and logged."""
    if ch.isprintable():
        return f"'{ch}'"
    return f"U+{ord(ch):04X}"


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


class _Lexer:
    """Cuts the text into tokens, skipping whitespace and the three kinds of comment."""

    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.line = 1
        self.column = 1

    def peek(self, ahead: int = 0) -> str:
        i = self.pos + ahead
        return self.text[i] if i < len(self.text) else ""

    def advance(self) -> str:
        ch = self.text[self.pos]
        self.pos += 1
        if ch == "\n":
            self.line += 1
            self.column = 1
        else:
            self.column += 1
        return ch

    def error(self, message: str, line: int | None = None, column: int | None = None):
        return ScriptError(message, line or self.line, column or self.column)

    def next(self) -> Token:
        """The next token, cut only when the parser asks: errors come in the text's order."""
        self.skip_blanks()
        return self.next_token()

    def skip_blanks(self) -> None:
        while True:
            ch = self.peek()
            if ch in (" ", "\t", "\r", "\n"):
                self.advance()
            elif ch == "#" or (ch == "/" and self.peek(1) == "/"):
                while self.peek() not in ("", "\n"):
                    self.advance()
            elif ch == "/" and self.peek(1) == "*":
                self.skip_block_comment()
            else:
                return

    def skip_block_comment(self) -> None:
        line, column = self.line, self.column
        self.advance()
        self.advance()
        while not (self.peek() == "*" and self.peek(1) == "/"):
            if not self.peek():
                raise self.error(_("unterminated comment: '/*' without '*/'"), line, column)
            self.advance()
        self.advance()
        self.advance()

    def token(self, kind: str, start: tuple[int, int, int], **extra) -> Token:
        pos, line, column = start
        text = extra.pop("text", self.text[pos:self.pos])
        return Token(kind, text, line, column, self.line, self.column, **extra)

    def next_token(self) -> Token:
        start = (self.pos, self.line, self.column)
        ch = self.peek()
        if not ch:
            return self.token(END, start)
        if ch in ("=", ";"):
            self.advance()
            return self.token(ch, start)
        if _is_name_start(ch):
            while _is_name_char(self.peek()):
                self.advance()
            return self.token(NAME, start)
        if ch == '"':
            return self.string(start)
        if ch == "-" or _is_digit(ch):
            return self.number(start)
        raise self.error(_("unexpected character %(char)s") % {"char": _show_char(ch)})

    def digits(self) -> str:
        begin = self.pos
        while _is_digit(self.peek()):
            self.advance()
        return self.text[begin:self.pos]

    def number(self, start: tuple[int, int, int]) -> Token:
        negative = self.peek() == "-"
        if negative:
            self.advance()
            if not _is_digit(self.peek()):
                raise self.error(_("expected a digit after '-'"))
        whole, fraction = self.digits(), None
        if self.peek() == ".":
            self.advance()
            if not _is_digit(self.peek()):
                raise self.error(_("expected a digit after the decimal point"))
            fraction = self.digits()
        if _is_name_char(self.peek()) or self.peek() in (".", "-"):
            # 1e5, 0x10, 1.2.3, 150zł: not a number of ours, and not two tokens either.
            raise self.error(_("malformed number"), start[1], start[2])
        return self.token(NUMBER, start, negative=negative, whole=whole, fraction=fraction)

    def string(self, start: tuple[int, int, int]) -> Token:
        self.advance()
        content = []
        while True:
            ch = self.peek()
            if not ch:
                raise self.error(_("unterminated string: '\"' without its closing '\"'"),
                                 start[1], start[2])
            if ch in ("\n", "\r"):
                raise self.error(_("line break inside a string"))
            if ch == '"':
                self.advance()
                return self.token(STRING, start, text="".join(content))
            if ch == "\\":
                content.append(self.escape(start))
            else:
                content.append(self.advance())

    def escape(self, start: tuple[int, int, int]) -> str:
        line, column = self.line, self.column
        self.advance()
        ch = self.peek()
        if not ch:
            raise self.error(_("unterminated string: '\"' without its closing '\"'"),
                             start[1], start[2])
        if ch not in ('"', "\\"):
            raise self.error(_("unknown escape; only \\\" and \\\\ are allowed in a string"),
                             line, column)
        return self.advance()


# --- Parser -------------------------------------------------------------------------------


def _describe(token: Token) -> str:
    """The found token, for 'expected X, found Y' messages."""
    if token.kind == END:
        return _("the end of the script")
    if token.kind == STRING:
        return _("a string")
    if token.kind == NUMBER:
        return _("the number %(number)s") % {"number": _shorten(token.text)}
    return f"'{_shorten(token.text)}'"


class _Parser:
    """script := statement* END; statement := NAME '=' VALUE ';' (a loop, no recursion)."""

    def __init__(self, lexer: _Lexer):
        self.lexer = lexer
        self.ahead: Token | None = None

    def peek(self) -> Token:
        if self.ahead is None:
            self.ahead = self.lexer.next()
        return self.ahead

    def take(self) -> Token:
        token = self.peek()
        if token.kind != END:
            self.ahead = None
        return token

    def expect_after(self, kind: str, previous: Token) -> None:
        """A missing '=' or ';' is reported where it belongs: right after the token before."""
        token = self.take()
        if token.kind != kind:
            raise ScriptError(
                _("expected '%(expected)s', found %(found)s")
                % {"expected": kind, "found": _describe(token)},
                previous.end_line, previous.end_column)

    def script(self) -> dict[str, int | Decimal | str]:
        values: dict[str, int | Decimal | str] = {}
        while self.peek().kind != END:
            name = self.take()
            if name.kind != NAME:
                raise ScriptError(_("expected a variable name, found %(found)s")
                                  % {"found": _describe(name)}, name.line, name.column)
            variable = _known(name)
            if variable.key in values:
                raise ScriptError(_("%(name)s is assigned twice") % {"name": variable.name},
                                  name.line, name.column)
            self.expect_after(EQUALS, name)
            value = self.take()
            values[variable.key] = _value(variable, value)
            self.expect_after(SEMICOLON, value)
        return values


def _known(name: Token) -> Variable:
    variable = VARIABLES.get(name.text)
    if variable is None:
        raise ScriptError(
            _("unknown variable '%(name)s'; known: %(known)s")
            % {"name": _shorten(name.text), "known": ", ".join(VARIABLES)},
            name.line, name.column)
    return variable


def _value(variable: Variable, token: Token) -> int | Decimal | str:
    if token.kind not in (NUMBER, STRING):
        raise ScriptError(_("expected a value for %(name)s, found %(found)s")
                          % {"name": variable.name, "found": _describe(token)},
                          token.line, token.column)
    if variable.kind == INTEGER:
        return _integer(variable, token)
    if variable.kind == MONEY:
        return _money(variable, token)
    return _context(variable, token)


def _at(token: Token, message: str) -> ScriptError:
    return ScriptError(message, token.line, token.column)


def _out_of_range(variable: Variable) -> str:
    return _("%(name)s must be between %(minimum)s and %(maximum)s") % {
        "name": variable.name, "minimum": variable.minimum, "maximum": variable.maximum}


def _too_long(token: Token) -> bool:
    return len(token.whole.lstrip("0")) > _MAX_DIGITS


def _integer(variable: Variable, token: Token) -> int:
    if token.kind == STRING:
        raise _at(token, _("%(name)s expects a whole number, not a string")
                  % {"name": variable.name})
    if token.fraction is not None:
        raise _at(token, _("%(name)s expects a whole number, not a decimal number")
                  % {"name": variable.name})
    if _too_long(token):
        raise _at(token, _out_of_range(variable))
    value = int(token.whole)
    if token.negative:
        value = -value
    if not variable.minimum <= value <= variable.maximum:
        raise _at(token, _out_of_range(variable))
    return value


def _money(variable: Variable, token: Token) -> Decimal:
    if token.kind == STRING:
        raise _at(token, _("%(name)s expects an amount, not a string") % {"name": variable.name})
    if token.fraction is not None and len(token.fraction) > MONEY_PLACES:
        raise _at(token, _("%(name)s allows at most %(places)d decimal places")
                  % {"name": variable.name, "places": MONEY_PLACES})
    if _too_long(token):
        raise _at(token, _out_of_range(variable))
    value = Decimal(f"{token.whole}.{token.fraction or '0'}").quantize(_CENT)
    if token.negative and value:
        value = -value
    if not variable.minimum <= value <= variable.maximum:
        raise _at(token, _out_of_range(variable))
    return value


def _context_error(variable: Variable) -> str:
    return _("%(name)s must be %(minimum)d to %(maximum)d characters: letters A-Z and a-z, "
             "digits, '_' and '-'") % {
        "name": variable.name, "minimum": variable.minimum, "maximum": variable.maximum}


def _is_context(variable: Variable, value: str) -> bool:
    return (variable.minimum <= len(value) <= variable.maximum
            and all(ch in CONTEXT_CHARS for ch in value))


def _context(variable: Variable, token: Token) -> str:
    if token.kind != STRING:
        raise _at(token, _("%(name)s expects a quoted string, not a number")
                  % {"name": variable.name})
    if not _is_context(variable, token.text):
        raise _at(token, _context_error(variable))
    return token.text


def parse(text: str) -> dict[str, int | Decimal | str]:
    """The values a script assigns, by key (only those it assigns); amounts come as Decimal
    with exactly two decimal places. Any wrong input raises ScriptError, nothing else."""
    if not isinstance(text, str):
        raise ScriptError(_("the script must be text"), 1, 1)
    if len(text) > MAX_LENGTH:
        raise ScriptError(_("the script is longer than %(limit)d characters")
                          % {"limit": MAX_LENGTH}, 1, 1)
    return _Parser(_Lexer(text)).script()


# --- Rendering ----------------------------------------------------------------------------


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _render_integer(variable: Variable, value: object) -> str:
    # bool is an int to Python, but True minutes is a bug of the caller's.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ScriptError(_("%(name)s expects a whole number") % {"name": variable.name})
    if not variable.minimum <= value <= variable.maximum:
        raise ScriptError(_out_of_range(variable))
    return str(value)


def _render_money(variable: Variable, value: object) -> str:
    # A float is refused: 0.1 is not exactly ten grosze.
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ScriptError(_("%(name)s expects an amount (Decimal or int)")
                          % {"name": variable.name})
    amount = Decimal(value)
    if not amount.is_finite() or not variable.minimum <= amount <= variable.maximum:
        raise ScriptError(_out_of_range(variable))
    rounded = amount.quantize(_CENT)
    if rounded != amount:
        raise ScriptError(_("%(name)s allows at most %(places)d decimal places")
                          % {"name": variable.name, "places": MONEY_PLACES})
    return str(rounded if rounded else abs(rounded))  # never "-0.00"


def _render_context(variable: Variable, value: object) -> str:
    if not isinstance(value, str) or not _is_context(variable, value):
        raise ScriptError(_context_error(variable))
    return _quote(value)


_RENDERERS = {INTEGER: _render_integer, MONEY: _render_money, CONTEXT: _render_context}


def render(values: dict) -> str:
    """The canonical script of the given values (keys as ``parse`` returns them; a value of
    None counts as not set): one 'Name = value;' line per variable, in the table's order.
    Raises ScriptError (line 0) for an unknown key or a value parse would refuse."""
    unknown = [key for key in values if key not in _BY_KEY]
    if unknown:
        raise ScriptError(_("unknown key %(key)s; known: %(known)s")
                          % {"key": _shorten(repr(unknown[0])), "known": ", ".join(_BY_KEY)})
    lines = []
    for variable in VARIABLES.values():
        value = values.get(variable.key)
        if value is not None:
            text = _RENDERERS[variable.kind](variable, value)
            lines.append(f"{variable.name} = {text};\n")
    return "".join(lines)
