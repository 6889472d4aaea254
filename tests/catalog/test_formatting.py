"""Money and session times as people read them."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from catalog.formatting import format_cents, format_session_when

PT = ZoneInfo("America/Los_Angeles")
UTC = ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("cents", "expected"),
    [
        (0, "$0"),
        (35000, "$350"),
        (255000, "$2,550"),
        (7950, "$79.50"),
        (5, "$0.05"),
        (123456789, "$1,234,567.89"),
        (-2500, "-$25"),
    ],
)
def test_format_cents(cents, expected):
    assert format_cents(cents) == expected


def test_weekday_is_computed_from_the_date():
    starts = datetime(2027, 6, 21, 9, tzinfo=PT)
    assert format_session_when(starts, starts.replace(hour=17)) == (
        "Mon, Jun 21, 2027 · 9:00 AM – 5:00 PM PT"
    )


def test_times_are_shown_in_pacific_whatever_the_stored_zone():
    starts = datetime(2027, 6, 14, 15, tzinfo=UTC)  # 8:00 AM PDT
    assert format_session_when(starts, datetime(2027, 6, 14, 19, tzinfo=UTC)) == (
        "Mon, Jun 14, 2027 · 8:00 AM – 12:00 PM PT"
    )


def test_winter_dates_use_standard_time():
    starts = datetime(2027, 12, 4, 17, tzinfo=UTC)  # 9:00 AM PST
    assert format_session_when(starts, datetime(2027, 12, 5, 1, tzinfo=UTC)) == (
        "Sat, Dec 4, 2027 · 9:00 AM – 5:00 PM PT"
    )


def test_multi_day_sessions_show_both_days():
    starts = datetime(2027, 9, 1, 16, tzinfo=PT)
    ends = datetime(2027, 9, 5, 12, tzinfo=PT)
    assert format_session_when(starts, ends) == "Wed, Sep 1 4:00 PM – Sun, Sep 5, 2027 12:00 PM PT"


def test_undated_session_is_to_be_announced():
    assert format_session_when(None, None) == "Dates to be announced"
