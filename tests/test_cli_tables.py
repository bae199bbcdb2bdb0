"""Terminal tables: columns line up by display width, whatever the script."""

from __future__ import annotations

from trendwatch.cli.tables import display_width, format_table


def test_wide_characters_take_two_columns_and_marks_none():
    assert display_width("#kpop") == 5
    assert display_width("#잇츠라이브") == 11  # '#' + 5 wide syllables
    assert display_width("ＦＲＡＮＣＥ") == 12  # full-width Latin
    assert display_width("café") == display_width("cafe\u0301") == 4
    assert display_width("a\u200db") == 2  # zero-width joiner


def test_columns_align_with_wide_hashtags():
    table = format_table(["hashtag", "posts"], [["#잇츠라이브", 36], ["#brexit", 119]])
    lines = table.splitlines()
    # every line ends at the same terminal column: the numbers are right-aligned under 'posts'
    # the first column is 11 columns wide (the Korean tag), then 2 spaces, then 5 ('posts')
    assert {display_width(line) for line in lines} == {11 + 2 + 5}
    assert lines[2] == "#잇츠라이브" + " " * 5 + "36"
    assert lines[3] == "#brexit" + " " * 8 + "119"
