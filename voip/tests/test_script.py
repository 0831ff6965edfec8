"""The subtariff script: what it assigns, where its errors point, and that no input at all
gets anything but a dict or a ScriptError out of it (it is typed by staff and its context is
written into Asterisk's database)."""

import pickle
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voip.script import (
    CONTEXT,
    INTEGER,
    MAX_LENGTH,
    MONEY,
    VARIABLES,
    ScriptError,
    parse,
    render,
)

# The root conftest's autouse fixtures (English, a MEDIA_ROOT of its own) are function-scoped
# but hold nothing a single example could change.
PROPERTIES = settings(max_examples=300, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])

EXAMPLE = """Darmowe_Minuty = 300;
Darmowe_Numery = 3;
Voip_Limit_kwotowy = 150.00;
Voip_Prog_powiadamiania = 150.00;
Voip_Context = "podstawowy";
"""


def error_of(text):
    with pytest.raises(ScriptError) as caught:
        parse(text)
    return caught.value


def where(text):
    err = error_of(text)
    return err.line, err.column


# --- What a script assigns ----------------------------------------------------------------


def test_the_example_parses_to_typed_values():
    values = parse(EXAMPLE)
    assert values == {"free_minutes": 300, "free_numbers_count": 3,
                      "amount_limit": Decimal("150.00"), "notify_threshold": Decimal("150.00"),
                      "context": "podstawowy"}
    assert type(values["free_minutes"]) is int
    assert type(values["amount_limit"]) is Decimal
    assert str(values["notify_threshold"]) == "150.00"


def test_the_example_is_already_canonical():
    assert render(parse(EXAMPLE)) == EXAMPLE


def test_empty_and_blank_scripts_assign_nothing():
    assert parse("") == {}
    assert parse(" \t\r\n\n") == {}
    assert parse("# nothing\n// nothing\n/* nothing */") == {}


def test_only_what_is_assigned_is_returned():
    assert parse("Darmowe_Numery=0;") == {"free_numbers_count": 0}


def test_comments_of_all_three_kinds():
    text = """# net47 subtariff
    Darmowe_Minuty = 300; // per billing period
    /* several
       lines; Foo = 1; "not a string */ Darmowe_Numery /* here too */ = /**/ 3 ;#end"""
    assert parse(text) == {"free_minutes": 300, "free_numbers_count": 3}


def test_comment_markers_inside_a_string_are_text():
    # The context refuses them afterwards, but as its value, not as a comment.
    assert where('Voip_Context = "a#b";') == (1, 16)
    assert where('Voip_Context = "a//b";') == (1, 16)


def test_a_line_comment_may_end_the_script_without_a_newline():
    assert parse("Darmowe_Numery = 1; # last") == {"free_numbers_count": 1}


def test_whitespace_crlf_and_tabs():
    text = "\r\n\tDarmowe_Minuty\t=\t300\r\n;\r\nVoip_Context   =\"x-1_A\";\r\n"
    assert parse(text) == {"free_minutes": 300, "context": "x-1_A"}


def test_no_whitespace_at_all():
    assert parse('Darmowe_Minuty=1;Voip_Context="c";') == {"free_minutes": 1, "context": "c"}


def test_an_integer_amount_becomes_a_decimal_with_two_places():
    values = parse("Voip_Limit_kwotowy = 150; Voip_Prog_powiadamiania = 0.5;")
    assert values == {"amount_limit": Decimal("150.00"), "notify_threshold": Decimal("0.50")}
    assert [str(v) for v in values.values()] == ["150.00", "0.50"]


def test_limits_are_inclusive():
    text = ("Darmowe_Minuty = 1000000; Darmowe_Numery = 100; Voip_Limit_kwotowy = 999999.99;"
            "Voip_Prog_powiadamiania = 0;")
    assert parse(text) == {"free_minutes": 1_000_000, "free_numbers_count": 100,
                           "amount_limit": Decimal("999999.99"),
                           "notify_threshold": Decimal("0.00")}


def test_leading_zeros_and_minus_zero_are_just_numbers():
    values = parse("Darmowe_Minuty = 007; Darmowe_Numery = -0; Voip_Limit_kwotowy = -0.00;")
    assert values == {"free_minutes": 7, "free_numbers_count": 0, "amount_limit": Decimal("0.00")}
    assert str(values["amount_limit"]) == "0.00"


def test_escaped_quote_and_backslash_are_read_then_refused_by_the_context():
    # The string grammar knows both escapes; no context may contain either character.
    assert where('Voip_Context = "a\\"b";') == (1, 16)
    assert where('Voip_Context = "a\\\\b";') == (1, 16)


def test_the_longest_context_and_the_longest_script():
    context = "k" * 40  # Asterisk's ps_endpoints.context is varchar(40)
    assert parse(f'Voip_Context = "{context}";') == {"context": context}
    with pytest.raises(ScriptError):
        parse(f'Voip_Context = "{context}k";')
    padded = "Darmowe_Numery = 1;" + " " * (MAX_LENGTH - 19)
    assert len(padded) == MAX_LENGTH
    assert parse(padded) == {"free_numbers_count": 1}


# --- Where the errors point ---------------------------------------------------------------


def test_unknown_variable_points_at_its_name_and_lists_the_known():
    err = error_of("Darmowe_Minuty = 300;\n\nDarmowe_Numery = 3; Foo = 1;")
    assert (err.line, err.column) == (3, 21)
    assert err.message == ("unknown variable 'Foo'; known: Darmowe_Minuty, Darmowe_Numery, "
                           "Voip_Limit_kwotowy, Voip_Prog_powiadamiania, Voip_Context")
    assert str(err) == "line 3, column 21: " + err.message
    assert isinstance(err, ValueError)


def test_names_are_case_sensitive():
    assert where("darmowe_minuty = 1;") == (1, 1)


def test_missing_semicolon_points_right_after_the_value():
    err = error_of("Darmowe_Minuty = 300\nDarmowe_Numery = 3;")
    assert (err.line, err.column) == (1, 21)
    assert err.message == "expected ';', found 'Darmowe_Numery'"


def test_missing_final_semicolon():
    err = error_of('Darmowe_Minuty = 300;\nVoip_Context = "abc"  \n')
    assert (err.line, err.column) == (2, 21)
    assert err.message == "expected ';', found the end of the script"


def test_missing_equals_points_right_after_the_name():
    err = error_of("  Darmowe_Minuty 300;")
    assert (err.line, err.column) == (1, 17)
    assert err.message == "expected '=', found the number 300"


def test_missing_value_points_at_what_came_instead():
    assert where("Darmowe_Minuty = ;") == (1, 18)
    assert where("Darmowe_Minuty =") == (1, 17)


def test_a_statement_must_start_with_a_name():
    err = error_of("Darmowe_Minuty = 1;;")
    assert (err.line, err.column) == (1, 20)
    assert err.message == "expected a variable name, found ';'"
    assert where("= 1;") == (1, 1)
    assert where('"x";') == (1, 1)


def test_bad_escape_points_at_the_backslash():
    err = error_of('Darmowe_Minuty = 1;\nVoip_Context = "ab\\n";')
    assert (err.line, err.column) == (2, 19)
    assert "escape" in err.message
    assert where('Voip_Context = "\\\'";') == (1, 17)


def test_unterminated_string_points_at_its_opening_quote():
    assert where('Darmowe_Minuty = 1;\n  Voip_Context = "abc') == (2, 18)
    assert where('Voip_Context = "abc\\') == (1, 16)
    assert where('Voip_Context = "abc\\"') == (1, 16)


def test_a_raw_line_break_inside_a_string_points_at_it():
    assert where('Voip_Context = "ab\ncd";') == (1, 19)
    assert where('Voip_Context = "ab\r\ncd";') == (1, 19)


def test_unterminated_block_comment_points_at_its_start():
    err = error_of("Darmowe_Minuty = 1;\n /* forgotten\n Darmowe_Numery = 2;")
    assert (err.line, err.column) == (2, 2)
    assert "comment" in err.message
    assert where("/*/") == (1, 1)


def test_duplicate_points_at_the_second_assignment():
    err = error_of("Darmowe_Minuty = 1;\nDarmowe_Numery = 2;\n   Darmowe_Minuty = 1;")
    assert (err.line, err.column) == (3, 4)
    assert err.message == "Darmowe_Minuty is assigned twice"


@pytest.mark.parametrize(("text", "expected"), [
    ('Darmowe_Minuty = "300";', "Darmowe_Minuty expects a whole number, not a string"),
    ("Darmowe_Numery = 3.0;", "Darmowe_Numery expects a whole number, not a decimal number"),
    ('Voip_Limit_kwotowy = "150";', "Voip_Limit_kwotowy expects an amount, not a string"),
    ("Voip_Context = 5;", "Voip_Context expects a quoted string, not a number"),
])
def test_type_mismatch_says_what_was_expected(text, expected):
    err = error_of(text)
    assert (err.line, err.column, err.message) == (1, text.index("=") + 3, expected)


@pytest.mark.parametrize(("text", "expected"), [
    ("Darmowe_Minuty = -1;", "Darmowe_Minuty must be between 0 and 1000000"),
    ("Darmowe_Numery = -5;", "Darmowe_Numery must be between 0 and 100"),
    ("Voip_Limit_kwotowy = -0.01;", "Voip_Limit_kwotowy must be between 0.00 and 999999.99"),
    ("Voip_Prog_powiadamiania = -150;",
     "Voip_Prog_powiadamiania must be between 0.00 and 999999.99"),
])
def test_negative_fails_the_range_check_not_the_syntax(text, expected):
    err = error_of(text)
    assert (err.line, err.column, err.message) == (1, text.index("=") + 3, expected)


@pytest.mark.parametrize("text", [
    "Darmowe_Minuty = 1000001;",
    "Darmowe_Numery = 101;",
    "Voip_Limit_kwotowy = 1000000;",
    "Voip_Prog_powiadamiania = 999999.991;",  # three places is its own error, below
    "Darmowe_Minuty = " + "1" + "0" * 400 + ";",
    "Voip_Limit_kwotowy = " + "9" * 5000 + ".5;",
    "Darmowe_Numery = -" + "9" * 5000 + ";",
])
def test_out_of_range(text):
    err = error_of(text)
    assert err.line == 1
    assert err.column == text.index("=") + 3
    assert len(str(err)) < 300


def test_out_of_range_message():
    assert error_of("Voip_Limit_kwotowy = 1000000;").message == (
        "Voip_Limit_kwotowy must be between 0.00 and 999999.99")
    assert error_of("Voip_Prog_powiadamiania = 999999.991;").message == (
        "Voip_Prog_powiadamiania allows at most 2 decimal places")


def test_three_decimal_places():
    err = error_of("Darmowe_Numery = 1;\nVoip_Limit_kwotowy = 150.000;")
    assert (err.line, err.column) == (2, 22)
    assert err.message == "Voip_Limit_kwotowy allows at most 2 decimal places"


@pytest.mark.parametrize("context", [
    "a b", "a'b", "%{EXTEN}", "a\\\\b", "a\\\"b", "", "k" * 80, "żółw", "a\tb", "a\x00b",
    "a;b", "a.b", "a,b", "a$b",
])
def test_context_with_anything_but_letters_digits_underscore_and_dash(context):
    text = f'Darmowe_Numery = 1;\n Voip_Context = "{context}";'
    err = error_of(text)
    assert (err.line, err.column) == (2, 17)
    assert err.message == ("Voip_Context must be 1 to 40 characters: letters A-Z and a-z, "
                           "digits, '_' and '-'")


@pytest.mark.parametrize("text", [
    "Darmowe_Minuty = 1e5;", "Darmowe_Minuty = 0x10;", "Darmowe_Minuty = 1.2.3;",
    "Voip_Limit_kwotowy = 150zł;", "Darmowe_Minuty = 5-3;",
])
def test_malformed_numbers_point_at_their_start(text):
    err = error_of(text)
    assert (err.line, err.column, err.message) == (1, text.index("=") + 3, "malformed number")


@pytest.mark.parametrize(("text", "column"), [
    ("Darmowe_Minuty = 5.;", 20), ("Darmowe_Minuty = .5;", 18), ("Darmowe_Minuty = - 5;", 19),
    ("Darmowe_Minuty = +5;", 18), ("Darmowe_Minuty : 5;", 16), ("Darmowe_Minuty = 5 / 2;", 20),
    ("Żółw = 1;", 1), ("Darmowe_Minuty\x00= 1;", 15), ("Darmowe_Minuty = 1;\u00a0", 20),
])
def test_stray_characters(text, column):
    assert where(text) == (1, column)


def test_columns_count_characters_not_bytes():
    assert where("/* żółć */ Foo = 1;") == (1, 12)
    assert where("# żółć\r\n\tFoo = 1;") == (2, 2)


def test_errors_come_in_the_order_of_the_text():
    # The unknown name is seen before the unterminated string after it.
    assert where('Foo = 1; Voip_Context = "abc') == (1, 1)


def test_unprintable_characters_are_named_by_code_point():
    assert error_of("\x00").message == "unexpected character U+0000"
    assert error_of("\ud800").message == "unexpected character U+D800"
    assert error_of("ż").message == "unexpected character 'ż'"


def test_too_long_a_script():
    err = error_of("#" * (MAX_LENGTH + 1))
    assert (err.line, err.column) == (1, 1)
    assert "10000" in err.message


def test_not_text_at_all():
    for value in (None, b"Darmowe_Minuty = 1;", 5):
        assert where(value) == (1, 1)


def test_messages_go_through_gettext_with_named_placeholders(monkeypatch):
    monkeypatch.setattr("voip.script._", lambda msgid: "<" + msgid + ">")
    err = error_of("Foo = 1;")
    assert err.message.startswith("<unknown variable 'Foo'; known: Darmowe_Minuty")
    assert str(err) == "<line 1, column 1: " + err.message + ">"


def test_an_error_survives_pickling():
    err = pickle.loads(pickle.dumps(error_of("\n Foo = 1;")))
    assert (err.line, err.column, str(err)) == (2, 2, "line 2, column 2: " + err.message)


# --- render -------------------------------------------------------------------------------


def test_render_is_canonical_and_ordered():
    values = {"context": "ctx", "amount_limit": Decimal("5"), "free_minutes": 0,
              "notify_threshold": 7}
    assert render(values) == ("Darmowe_Minuty = 0;\nVoip_Limit_kwotowy = 5.00;\n"
                              'Voip_Prog_powiadamiania = 7.00;\nVoip_Context = "ctx";\n')


def test_render_of_nothing_is_empty_and_none_is_not_set():
    assert render({}) == ""
    assert render({"free_minutes": None, "context": None}) == ""
    assert parse(render({})) == {}


def test_render_never_writes_minus_zero():
    assert render({"amount_limit": Decimal("-0.000")}) == "Voip_Limit_kwotowy = 0.00;\n"


@pytest.mark.parametrize("values", [
    {"minutes": 1},
    {1: 1},
    {"free_minutes": True},
    {"free_minutes": 1.0},
    {"free_minutes": "1"},
    {"free_minutes": Decimal("1")},
    {"free_minutes": -1},
    {"free_numbers_count": 101},
    {"free_numbers_count": 10**400},
    {"amount_limit": 1.5},
    {"amount_limit": "1.50"},
    {"amount_limit": False},
    {"amount_limit": Decimal("1.234")},
    {"amount_limit": Decimal("-0.01")},
    {"amount_limit": Decimal("1000000")},
    {"amount_limit": Decimal("NaN")},
    {"amount_limit": Decimal("sNaN")},
    {"notify_threshold": Decimal("Infinity")},
    {"notify_threshold": Decimal("1E-1000000")},
    {"notify_threshold": 10**400},
    {"context": ""},
    {"context": "a b"},
    {"context": 'a"b'},
    {"context": "a\\b"},
    {"context": "%{x}"},
    {"context": "k" * 80},
    {"context": 5},
    {"context": "\ud800"},
])
def test_render_refuses_what_parse_would(values):
    with pytest.raises(ScriptError) as caught:
        render(values)
    assert (caught.value.line, caught.value.column) == (0, 0)
    assert str(caught.value) == caught.value.message
    str(caught.value).encode("utf-8")


def test_the_table():
    assert list(VARIABLES) == ["Darmowe_Minuty", "Darmowe_Numery", "Voip_Limit_kwotowy",
                               "Voip_Prog_powiadamiania", "Voip_Context"]
    assert [v.key for v in VARIABLES.values()] == [
        "free_minutes", "free_numbers_count", "amount_limit", "notify_threshold", "context"]
    assert [v.kind for v in VARIABLES.values()] == [INTEGER, INTEGER, MONEY, MONEY, CONTEXT]
    assert VARIABLES["Darmowe_Minuty"].maximum == 1_000_000
    assert VARIABLES["Voip_Limit_kwotowy"].maximum == Decimal("999999.99")


# --- Properties ---------------------------------------------------------------------------

CONTEXT_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"


def _value_strategy(variable):
    if variable.kind == INTEGER:
        return st.integers(variable.minimum, variable.maximum)
    if variable.kind == MONEY:
        return st.one_of(
            st.decimals(variable.minimum, variable.maximum, places=2),
            st.integers(0, 999_999).map(Decimal),
        )
    return st.text(CONTEXT_ALPHABET, min_size=variable.minimum, max_size=variable.maximum)


VALID_VALUES = st.fixed_dictionaries(
    {}, optional={v.key: _value_strategy(v) for v in VARIABLES.values()})


@PROPERTIES
@given(VALID_VALUES)
def test_parse_reads_back_what_render_wrote(values):
    parsed = parse(render(values))
    assert parsed == values
    for key, value in parsed.items():
        assert type(value) is type(values[key])


@PROPERTIES
@given(VALID_VALUES)
def test_render_of_parse_is_a_fixed_point(values):
    text = render(values)
    assert render(parse(text)) == text


TOKENS = [
    *VARIABLES, "Foo", "_x9", "darmowe_minuty", "=", ";", " ", "\t", "\n", "\r\n", "\r",
    "0", "300", "-1", "-0", "150.00", "0.5", "1.234", "5.", ".5", "-", "1" + "0" * 400,
    "9" * 5000, '"', '"podstawowy"', '"a b"', '"a\\"b"', '"a\\\\b"', '"\\n"', "\\", '""',
    "#", "# c\n", "//", "// c\n", "/*", "*/", "/* c */", "/", "*", "\x00", "\ud800", "ż",
    "%{EXTEN}", "'", "1e5", "+",
]


@PROPERTIES
@given(st.one_of(
    st.text(),
    st.text(st.characters(exclude_categories=())),  # lone surrogates too
    st.lists(st.sampled_from(TOKENS), max_size=40).map("".join),
    # Mostly well-formed statements, one token at a time swapped for another.
    st.lists(st.tuples(st.sampled_from(TOKENS), st.sampled_from(["=", " = "]),
                       st.sampled_from(TOKENS), st.sampled_from([";", ";\n", "", " "])),
             max_size=8).map(lambda rows: "".join("".join(row) for row in rows)),
))
def test_any_text_gives_a_dict_or_a_script_error(text):
    try:
        values = parse(text)
    except ScriptError as err:
        assert 1 <= err.line <= text.count("\n") + 1
        assert err.column >= 1
        assert err.message
        str(err).encode("utf-8")  # printable and loggable, whatever the input held
    else:
        assert isinstance(values, dict)
        assert render(values) and parse(render(values)) == values or values == {}


@PROPERTIES
@given(VALID_VALUES, st.sampled_from(TOKENS), st.data())
def test_a_token_slipped_into_a_valid_script(values, token, data):
    text = render(values)
    at = data.draw(st.integers(0, len(text)))
    try:
        result = parse(text[:at] + token + text[at:])
    except ScriptError:
        return
    assert render(result) == render(parse(render(result)))
