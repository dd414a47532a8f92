"""parse_move on the kind of text small models write."""
import pytest

from sparring.rollout.parse import parse_move

KUHN = ["check", "bet"]
KUHN_FACING = ["fold", "call"]
TTT = [str(i) for i in range(1, 10)]
LEDUC = ["Call", "Raise", "Fold"]
C4 = ["x0", "x1", "x2", "x3"]
NUMS = ["1", "10", "11", "2"]


@pytest.mark.parametrize("text,legal,expected", [
    ("bet", KUHN, "bet"),
    ("check", KUHN, "check"),
    ("5", TTT, "5"),
    ("Raise", LEDUC, "Raise"),
    ("x2", C4, "x2"),
])
def test_exact(text, legal, expected):
    assert parse_move(text, legal) == expected


@pytest.mark.parametrize("text,legal,expected", [
    ("BET", KUHN, "bet"),
    (" Bet\n", KUHN, "bet"),
    ('"bet"', KUHN, "bet"),
    ("'check'", KUHN, "check"),
    ("`call`", KUHN_FACING, "call"),
    ("**bet**", KUHN, "bet"),
    ("*fold*", KUHN_FACING, "fold"),
    ("raise", LEDUC, "Raise"),  # the legal spelling comes back, not the model's
    ("X1", C4, "x1"),
])
def test_case_space_quotes_asterisks(text, legal, expected):
    assert parse_move(text, legal) == expected


@pytest.mark.parametrize("text,legal,expected", [
    ("[5]", TTT, "5"),
    ("[ 5 ]", TTT, "5"),
    ("I pick [bet].", KUHN, "bet"),
    ("\\boxed{bet}", KUHN, "bet"),
    ("The answer is \\boxed{7}", TTT, "7"),
    ("My move: call.", KUHN_FACING, "call"),
    ("Move: Raise", LEDUC, "Raise"),
    ("move is bet", KUHN, "bet"),
    ("The answer is: check", KUHN, "check"),
    ("Action = fold", KUHN_FACING, "fold"),
    ("**Move:** bet", KUHN, "bet"),
    ("Move: **bet**", KUHN, "bet"),
    ("My move: raise, since I hold a King.", LEDUC, "Raise"),
])
def test_marked_moves(text, legal, expected):
    assert parse_move(text, legal) == expected


@pytest.mark.parametrize("text,legal,expected", [
    # reasoning mentions several moves, the final one is marked
    ("I could check or bet. Betting with a Jack is risky, so bet is bad. Final answer: [check]", KUHN, "check"),
    ("bet looks strong but they may call. My move: check", KUHN, "check"),
    ("Cell 5 looks good, but 3 blocks the row. [3]", TTT, "3"),
    ("[5]? No, the centre is weak here. [7]", TTT, "7"),  # last marked wins
    ("Move: 5\nMove: 7", TTT, "7"),
    # the last marked move wins whichever marker marks it
    ("Options: [1] or [9]. Final move: 5", TTT, "5"),
    ("[bet] Actually, on reflection: \\boxed{check}", KUHN, "check"),
    ("\\boxed{4} hmm, [6]", TTT, "6"),
    # a marked move outranks a later plain mention
    ("[bet] because check is weak", KUHN, "bet"),
])
def test_reasoning_then_final_marked_move(text, legal, expected):
    assert parse_move(text, legal) == expected


@pytest.mark.parametrize("text,legal,expected", [
    ("I'll bet", KUHN, "bet"),
    ("Let me think: fold? call? I choose call", KUHN_FACING, "call"),
    ("I think 3... no, 7", TTT, "7"),  # the last legal move mentioned
    ("Playing x3 now", C4, "x3"),
])
def test_unmarked_last_legal_mention(text, legal, expected):
    assert parse_move(text, legal) == expected


@pytest.mark.parametrize("text,legal", [
    ("no idea", KUHN),
    ("raise", KUHN),
    ("[raise]", KUHN),
    ("Move: all-in", KUHN),
    ("bets", KUHN),  # whole words only
    ("checkmate", KUHN),
    ("betting", KUHN),
    ("0", TTT),
    ("x9", C4),
    ("15", TTT),
])
def test_no_legal_move(text, legal):
    assert parse_move(text, legal) is None


def test_illegal_marked_move_is_ignored_in_favour_of_legal_ones():
    assert parse_move("[raise] but maybe bet", KUHN) == "bet"
    assert parse_move("Move: raise. Hmm, I mean [check]", KUHN) == "check"
    assert parse_move("\\boxed{0} or [5]", TTT) == "5"
    assert parse_move("[10] then", TTT) is None  # 10 is no cell, and 1 is not a whole word of it


@pytest.mark.parametrize("text,expected", [
    ("1", "1"),
    ("10", "10"),
    ("11", "11"),
    ("I play 10", "10"),
    ("I play 1.", "1"),
    ("I play 1, not 10", "10"),  # last mention
    ("I play 10, not 1", "1"),
    ("[10]", "10"),
    ("[1]", "1"),
    ("Move: 10", "10"),
    ("Move: 1", "1"),
    ("\\boxed{11}", "11"),
    ("110", None),
    ("21", None),
])
def test_numbers_are_whole_words(text, expected):
    assert parse_move(text, NUMS) == expected


def test_free_text_mode():
    assert parse_move("  The capital is Paris. \n", None) == "The capital is Paris."
    assert parse_move("[bet]", None) == "[bet]"  # nothing is parsed out: the game judges the text
    assert parse_move("", None) is None
    assert parse_move(" \n\t ", None) is None


@pytest.mark.parametrize("text", ["", " ", "\n\n", "**", '""', "[]", "\\boxed{}", "Move:"])
def test_empty_and_marker_only(text):
    assert parse_move(text, KUHN) is None
    assert parse_move(text, TTT) is None


@pytest.mark.parametrize("text", [
    "\x00\xff\ufffd\u200b",
    "\ufffdR\x1d\ufffdP\ufffd\ufffd<",
    bytes(range(256)).decode("latin-1").replace("1", "").replace("2", "").replace("3", "")
    .replace("4", "").replace("5", "").replace("6", "").replace("7", "").replace("8", "").replace("9", ""),
    "[[[[{{{{\\boxed{" * 50,
    "move: " * 100,
])
def test_garbage_gives_none_without_error(text):
    assert parse_move(text, TTT) is None
    assert parse_move(text, KUHN) is None


def test_garbage_around_a_legal_move():
    assert parse_move("\ufffd\x1d 5 \ufffd\x00", TTT) == "5"
    assert parse_move("\x00\x01bet\x02", KUHN) == "bet"  # control characters are not word characters


def test_empty_legal_list():
    assert parse_move("bet", []) is None


def test_regex_special_characters_in_moves():
    legal = ["(0,1)", "a+b", "c.d"]
    assert parse_move("I go (0,1) now", legal) == "(0,1)"
    assert parse_move("[a+b]", legal) == "a+b"
    assert parse_move("cxd", legal) is None  # '.' is literal
