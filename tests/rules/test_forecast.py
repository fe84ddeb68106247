"""Delivery forecasts: percentiles from sampled throughput, the basis they fall back to, and publishing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from fractions import Fraction
from math import comb
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.figures import round_figure
from rules.forecast import (
    HORIZON_DAYS,
    Forecast,
    ForecastSettings,
    Throughput,
    combined,
    daily_done_counts,
    epic_throughput,
    forecast,
    program_throughput,
    publish,
    render_histogram,
    share,
    weekly_histogram,
)
from rules.metrics import ProjectMetrics, project_metrics
from rules.model import DONE
from rules.outlook import combined_days, epic_forecast, epic_samples, program_samples
from rules.program import Snapshot, history_from
from rules.throughput import MIN_HISTORY_DAYS
from tests.rules.factories import epic, item

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2025, 3, 3)
SETTINGS = ForecastSettings()
TRIALS = SETTINGS.trials
HALF_ONES = (1.0, 0.0) * 42  # half the days one item, half none


def samples(daily: tuple[float, ...], basis: str = "epic") -> Throughput:
    return Throughput(daily=daily, basis=basis, window_days=len(daily), done_in_window=sum(daily))


def exact_negative_binomial_quantile(successes: int, percentile: int,
                                     chance: Fraction = Fraction(1, 2)) -> int:
    """Return the smallest day by which `successes` tosses of a coin (heads at `chance`, fair unless
    said) came up with P >= percentile."""
    done_by, day = Fraction(0), successes - 1
    while done_by < Fraction(percentile, 100):
        day += 1  # the last success on `day`
        done_by += comb(day - 1, successes - 1) * chance ** successes * (1 - chance) ** (day - successes)
    return day


def made(p85: date | None, status: str = "forecast", basis: str = "epic", due: date | None = None,
         on_time: float | None = None) -> Forecast:
    p50 = p85 - timedelta(days=5) if p85 else None
    slip = (p85 - due).days if p85 and due else None
    return Forecast(basis, 40, p50, p85, p85, on_time, slip, 7.0, status, due)


def test_one_item_every_day_finishes_in_exactly_the_remaining_days() -> None:
    result = forecast("PAY-1", 30, samples((1.0,) * 84), TODAY, TODAY + timedelta(days=40), TRIALS)
    assert result.p50 == result.p85 == result.p95 == TODAY + timedelta(days=30)
    assert (result.status, result.basis, result.slip_days, result.on_time_probability) == \
        ("forecast", "epic", -10, 1.0)
    assert result.throughput_per_week == 7.0


@pytest.mark.parametrize("remaining", [5, 20, 60])
def test_half_the_days_one_gives_the_negative_binomial_percentiles(remaining: int) -> None:
    result = forecast("PAY-2", remaining, samples(HALF_ONES), TODAY, None, TRIALS)
    for percentile, day in ((50, result.p50), (85, result.p85), (95, result.p95)):
        assert day is not None
        exact = exact_negative_binomial_quantile(remaining, percentile)
        assert abs((day - TODAY).days - exact) <= 2, (percentile, day, exact)


def test_samples_on_no_small_lattice_are_drawn_day_by_day_to_the_same_distribution() -> None:
    odd = 1 + 3.14159e-7  # no whole multiple of 1/10000: each sampled day is drawn
    result = forecast("PAY-3", 20, samples((odd, 0.0) * 42), TODAY, None, TRIALS)
    for percentile, day in ((50, result.p50), (85, result.p85), (95, result.p95)):
        assert day is not None
        assert abs((day - TODAY).days - exact_negative_binomial_quantile(20, percentile)) <= 2


def test_a_share_of_a_program_forecasts_in_fractional_items() -> None:
    program = (3.0,) * 84
    own = epic_throughput((0,) * 84, program, 3, SETTINGS)  # one item a day, in thirds
    result = forecast("PAY-4", 30, own, TODAY, None, TRIALS)
    assert own.daily == (1.0,) * 84 and own.basis == "program"
    assert result.p50 == result.p95 == TODAY + timedelta(days=30)
    thirds = epic_throughput((0,) * 84, (1.0,) * 84, 3, SETTINGS)
    assert forecast("PAY-4", 2, thirds, TODAY, None, TRIALS).p85 == TODAY + timedelta(days=6)


def test_an_epic_with_five_done_uses_its_own_throughput() -> None:
    own = (1,) * 5 + (0,) * 79
    result = epic_throughput(own, (4.0,) * 84, 2, SETTINGS)
    assert (result.basis, result.daily, result.done_in_window) == ("epic", tuple(map(float, own)), 5.0)


def test_an_epic_with_fewer_than_five_done_uses_its_share_of_the_program() -> None:
    own = (1,) * 4 + (0,) * 80
    program = program_throughput([own, (2,) * 84, (0,) * 84], SETTINGS)
    result = epic_throughput(own, program.daily, 2, SETTINGS)
    assert result.basis == "program"
    assert result.daily == (1.5,) * 4 + (1.0,) * 80
    assert result.done_in_window == 86.0


def test_an_epic_without_a_program_and_too_little_history_has_no_forecast() -> None:
    own = epic_throughput((1,) * 4 + (0,) * 80, None, 1, SETTINGS)
    result = forecast("PAY-5", 12, own, TODAY, TODAY, TRIALS)
    assert (own.basis, result.basis, result.status) == ("none", "none", "no-history")
    assert (result.p50, result.p85, result.p95, result.on_time_probability, result.slip_days) == \
        (None, None, None, None, None)


def test_a_program_with_no_history_has_no_forecast_and_says_so() -> None:
    program = program_throughput([(0,) * 84, (0,) * 84], SETTINGS)
    result = forecast("PRG-1", 30, program, TODAY, TODAY, TRIALS)
    assert (result.basis, result.status, result.p85, result.throughput_per_week) == \
        ("program", "no-history", None, 0.0)
    assert forecast("PRG-2", 3, program_throughput([], SETTINGS), TODAY, None, TRIALS).status == "no-history"


def test_a_program_sums_its_epics_days() -> None:
    assert combined([(1, 0, 2), (0, 3, 1)]) == (1.0, 3.0, 3.0)
    assert share((3.0, 0.0, 1.5), 3) == (1.0, 0.0, 0.5)
    with pytest.raises(ValueError):
        combined([(1, 0), (1, 0, 0)])


def test_daily_counts_cover_the_window_before_today_oldest_first() -> None:
    done = [TODAY - timedelta(days=84), TODAY - timedelta(days=1), TODAY - timedelta(days=1),
            TODAY, TODAY - timedelta(days=85), TODAY - timedelta(days=42)]
    counts = daily_done_counts(done, TODAY, 84)
    assert len(counts) == 84 and sum(counts) == 4
    assert (counts[0], counts[42], counts[83]) == (1, 1, 2)


def test_nothing_remaining_is_done_and_never_drifts() -> None:
    first = forecast("PAY-6", 0, samples(HALF_ONES), TODAY, TODAY, TRIALS)
    later = forecast("PAY-6", 0, samples((2.0,) * 84, "program"), TODAY + timedelta(days=9), None, TRIALS)
    assert first == later
    assert (first.status, first.p50, first.slip_days, first.on_time_probability) == ("done", None, None, None)


def test_the_same_inputs_give_the_same_dates_in_another_process() -> None:
    script = ("import json; from datetime import date; from rules.forecast import Throughput, forecast; "
              "t = Throughput(daily=(1/3, 0.0, 2/3) * 28, basis='program', window_days=84, "
              "done_in_window=28.0); print(json.dumps(forecast('PAY-7', 25, t, date(2025, 3, 3), "
              "date(2025, 6, 1), 10_000).as_dict(), sort_keys=True))")
    throughput = Throughput(daily=(1 / 3, 0.0, 2 / 3) * 28, basis="program", window_days=84,
                            done_in_window=28.0)
    here = forecast("PAY-7", 25, throughput, TODAY, date(2025, 6, 1), TRIALS).as_dict()
    for hash_seed in ("1", "2"):
        run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                             env={**os.environ, "PYTHONHASHSEED": hash_seed}, check=True)
        assert json.loads(run.stdout) == here


def test_different_keys_sample_different_futures() -> None:
    days = {key: [(row.start, row.count) for row in weekly_histogram(key, 40, samples(HALF_ONES), TODAY,
                                                                     TRIALS)] for key in ("A-1", "A-2")}
    assert days["A-1"] != days["A-2"]


def test_a_one_day_drift_keeps_the_published_forecast() -> None:
    due = TODAY + timedelta(days=60)
    published = made(TODAY + timedelta(days=40), due=due, on_time=0.9)
    fresh = made(TODAY + timedelta(days=41), due=due, on_time=0.88)
    kept = publish(published.as_dict(), fresh, SETTINGS.min_move_days)
    assert kept == published and kept.as_dict() == published.as_dict()


def test_a_move_of_three_days_replaces_the_published_forecast() -> None:
    published = made(TODAY + timedelta(days=40))
    for moved in (37, 43):
        fresh = made(TODAY + timedelta(days=moved))
        assert publish(published.as_dict(), fresh, SETTINGS.min_move_days) == fresh


def test_crossing_the_due_date_replaces_the_published_forecast() -> None:
    due = TODAY + timedelta(days=40)
    on_time, late = made(due, due=due), made(due + timedelta(days=1), due=due)
    assert publish(on_time.as_dict(), late, 3) == late
    assert publish(late.as_dict(), on_time, 3) == on_time


def test_a_new_basis_status_or_due_date_replaces_the_published_forecast() -> None:
    published = made(TODAY + timedelta(days=40), due=TODAY)
    for fresh in (made(TODAY + timedelta(days=40), basis="program", due=TODAY),
                  made(TODAY + timedelta(days=40), due=TODAY + timedelta(days=1)),
                  made(None, status="beyond", due=TODAY), made(None, status="done"),
                  made(None, status="no-history", basis="none")):
        assert publish(published.as_dict(), fresh, 3) == fresh
    assert publish(None, published, 3) == published
    assert publish({"p85": "soon"}, published, 3) == published


def test_the_slip_always_agrees_with_the_published_p85() -> None:
    # Nothing gets done for a month: the P85 slides a day a day, across the due date.
    due, published, writes = TODAY + timedelta(days=75), None, 0
    for day in range(30):
        fresh = forecast("PAY-8", 30, samples(HALF_ONES), TODAY + timedelta(days=day), due, 2_000)
        chosen = publish(published, fresh, SETTINGS.min_move_days)
        assert chosen.p85 is not None and fresh.p85 is not None
        assert chosen.slip_days == (chosen.p85 - due).days
        assert abs((chosen.p85 - fresh.p85).days) < SETTINGS.min_move_days
        writes += chosen.as_dict() != published
        published = chosen.as_dict()
    assert 5 < writes < 20


def test_a_throughput_near_zero_ends_beyond_the_horizon() -> None:
    trickle = samples((1.0,) + (0.0,) * 83)
    result = forecast("PAY-9", 120, trickle, TODAY, TODAY + timedelta(days=90), TRIALS)
    assert (result.status, result.p50, result.p85, result.p95, result.slip_days) == \
        ("beyond", None, None, None, None)
    assert result.on_time_probability == 0.0
    assert weekly_histogram("PAY-9", 120, trickle, TODAY, TRIALS)[-1].count > 0


def test_a_count_no_day_could_reach_within_the_horizon_is_beyond_without_simulating() -> None:
    result = forecast("PAY-10", HORIZON_DAYS + 1, samples((1.0,) * 84), TODAY, TODAY, TRIALS)
    assert (result.status, result.p85, result.on_time_probability) == ("beyond", None, 0.0)
    rows = weekly_histogram("PAY-10", HORIZON_DAYS + 1, samples((1.0,) * 84), TODAY, TRIALS)
    assert [(row.start, row.count, row.share) for row in rows] == [(None, TRIALS, 1.0)]


def test_only_the_percentiles_past_the_horizon_lose_their_dates() -> None:
    # One item in 84 days and 9 to go: the trials with fewer than 9 such days in three years are beyond.
    trickle = samples((1.0,) + (0.0,) * 83)
    beyond = sum(comb(HORIZON_DAYS, hits) * (1 / 84) ** hits * (83 / 84) ** (HORIZON_DAYS - hits)
                 for hits in range(9))  # about 0.097
    due = TODAY + timedelta(days=2 * 365)
    result = forecast("PAY-11", 9, trickle, TODAY, due, TRIALS)
    assert result.status == "beyond" and result.p95 is None
    assert result.p50 is not None and result.p85 is not None and result.p50 <= result.p85
    assert result.slip_days == (result.p85 - due).days
    rows = weekly_histogram("PAY-11", 9, trickle, TODAY, TRIALS)
    assert rows[-1].start is None and abs(rows[-1].share - beyond) < 0.02
    assert sum(row.count for row in rows) == TRIALS


def test_on_time_probability_is_none_without_a_due_date_and_rounded_to_two_decimals() -> None:
    assert forecast("PAY-12", 20, samples(HALF_ONES), TODAY, None, TRIALS).on_time_probability is None
    due = TODAY + timedelta(days=exact_negative_binomial_quantile(20, 50))
    probability = forecast("PAY-12", 20, samples(HALF_ONES), TODAY, due, TRIALS).on_time_probability
    exact = sum(comb(day - 1, 19) / 2 ** day for day in range(20, (due - TODAY).days + 1))
    assert probability is not None and probability == round_figure(probability, 2)
    assert abs(probability - exact) <= 0.02
    assert forecast("PAY-12", 20, samples(HALF_ONES), TODAY, TODAY, TRIALS).on_time_probability == 0.0


def test_the_histogram_counts_trials_by_week_from_tomorrow() -> None:
    rows = weekly_histogram("PAY-13", 10, samples((1.0,) * 84), TODAY, TRIALS)
    assert [(row.start, row.count, row.share) for row in rows] == [(TODAY + timedelta(days=8), TRIALS, 1.0)]
    spread = weekly_histogram("PAY-13", 30, samples(HALF_ONES), TODAY, TRIALS)
    starts, first = [row.start for row in spread], spread[0].start
    assert first is not None
    assert all(row.count > 0 for row in (spread[0], spread[-1]))
    assert starts == [first + timedelta(days=7 * week) for week in range(len(spread))]
    assert sum(row.count for row in spread) == TRIALS
    lines = render_histogram(spread, width=20).splitlines()
    assert len(lines) == len(spread) and max(line.count("#") for line in lines) == 20
    assert lines[0].startswith(str(spread[0].start))


def test_the_histogram_of_nothing_to_forecast_is_empty() -> None:
    assert weekly_histogram("PAY-14", 0, samples(HALF_ONES), TODAY, TRIALS) == []
    assert weekly_histogram("PAY-14", 5, samples((0.0,) * 84), TODAY, TRIALS) == []
    assert render_histogram([]) == ""


def test_a_forecast_survives_its_record_in_the_state_property() -> None:
    for result in (forecast("PAY-15", 20, samples(HALF_ONES), TODAY, TODAY + timedelta(days=30), TRIALS),
                   forecast("PAY-15", 0, samples(HALF_ONES), TODAY, None, TRIALS),
                   made(None, status="beyond", due=TODAY, on_time=0.0)):
        assert Forecast.from_dict(json.loads(json.dumps(result.as_dict()))) == result


@pytest.mark.parametrize("junk", [
    {}, [], "forecast", {"status": "forecast"}, None,
    {**made(TODAY).as_dict(), "p85": "next week"}, {**made(TODAY).as_dict(), "status": "soon"},
    {**made(TODAY).as_dict(), "basis": "vibes"}, {**made(TODAY).as_dict(), "remaining": -1},
    {**made(TODAY).as_dict(), "remaining": True}, {**made(TODAY).as_dict(), "slip_days": "3"},
    {**made(TODAY).as_dict(), "on_time_probability": "high"}, {**made(TODAY).as_dict(), "p50": 20250303},
    {**made(TODAY).as_dict(), "on_time_probability": 1.5},
])
def test_a_malformed_record_reads_as_no_forecast(junk: Any) -> None:
    assert Forecast.from_dict(junk) is None


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.lists(st.integers(min_value=0, max_value=4), min_size=84, max_size=84),
       st.integers(min_value=1, max_value=200), st.text(min_size=1, max_size=8))
def test_the_percentiles_are_in_order(daily: list[int], remaining: int, key: str) -> None:
    result = forecast(key, remaining, samples(tuple(map(float, daily))), TODAY, None, 500)
    dates = [day for day in (result.p50, result.p85, result.p95) if day is not None]
    assert dates == sorted(dates) and all(day > TODAY for day in dates)
    assert result.status in ("forecast", "beyond", "no-history")


def begun(key: str, created_days_ago: int, done: int, open_: int, created_none: int = 0) -> ProjectMetrics:
    """Measure an epic whose items were all created `created_days_ago` days ago, one of them finished on
    each of the `done` days before today, `open_` still open (and `created_none` without a created day)."""
    created = TODAY - timedelta(days=created_days_ago)
    finished = [item(f"{key}{n}", 1, DONE, epic=key, created=created,
                     done_on=TODAY - timedelta(days=done - n)) for n in range(done)]
    still = [item(f"{key}{done + n}", 1, epic=key, created=created) for n in range(open_)]
    unknown = [item(f"{key}{done + open_ + n}", 1, epic=key) for n in range(created_none)]
    return project_metrics(epic(key), [*finished, *still, *unknown], {}, None, TODAY, has_program=False)


def test_an_epic_begun_20_days_ago_finishing_one_a_day_forecasts_at_one_a_day() -> None:
    metrics = begun("NEW-", 20, done=20, open_=30, created_none=1)
    samples = epic_samples(metrics.done_by_day, None, 1, TODAY, SETTINGS, metrics.history_from)
    assert (samples.window_days, samples.done_in_window, samples.per_week) == (20, 20.0, 7.0)
    assert samples.began == TODAY - timedelta(days=20)
    assert samples.began_text(TODAY) == f"work began on {TODAY - timedelta(days=20)}"
    result = epic_forecast("NEW-1", 30, metrics.done_by_day, None, 1, None, TODAY, SETTINGS, None,
                           metrics.history_from)
    assert result.p50 == result.p85 == result.p95 == TODAY + timedelta(days=30)
    assert (result.basis, result.throughput_per_week) == ("epic", 7.0)


def test_an_epic_begun_3_days_ago_samples_two_weeks_so_its_first_days_are_not_its_pace() -> None:
    metrics = begun("NEW-", 3, done=3, open_=6)
    settings_ = ForecastSettings(min_done=3)
    samples = epic_samples(metrics.done_by_day, None, 1, TODAY, settings_, metrics.history_from)
    assert MIN_HISTORY_DAYS == 14
    assert samples.daily == (0.0,) * 11 + (1.0,) * 3 and samples.window_days == 14
    assert samples.per_week == round_figure(3 / 14 * 7, 2) == 1.5
    assert "at least 14 days are sampled" in samples.began_text(TODAY)
    result = epic_forecast("NEW-2", 6, metrics.done_by_day, None, 1, None, TODAY, settings_, None,
                           metrics.history_from)
    assert result.basis == "epic" and result.p50 is not None
    # Each day drawn finishes one item with chance 3/14: 6 of them take about 26 days, not 6.
    exact = exact_negative_binomial_quantile(6, 50, Fraction(3, 14))
    assert exact > 20 and abs((result.p50 - TODAY).days - exact) <= 2


def test_an_epic_whose_items_are_older_than_the_window_samples_the_whole_window() -> None:
    # Created before the window, on its first day, or with no created day at all: today's 84 days.
    for metrics, done in ((begun("OLD-", 100, done=10, open_=5), 10),
                          (begun("OLD-", 84, done=10, open_=5), 10),
                          (begun("OLD-", 0, done=0, open_=0, created_none=5), 0)):
        samples = epic_samples(metrics.done_by_day, None, 1, TODAY, SETTINGS, metrics.history_from)
        assert (samples.window_days, samples.began, samples.began_text(TODAY)) == (84, None, "")
        assert samples.daily == (0.0,) * (84 - done) + (1.0,) * done


def test_a_program_whose_epics_began_on_different_days_starts_at_the_earliest() -> None:
    first, later, empty = begun("A-", 30, done=6, open_=4), begun("B-", 10, done=2, open_=8), \
        begun("C-", 0, done=0, open_=0)
    snapshots = [Snapshot.from_dict(m.snapshot()) for m in (first, later, empty)]
    began = history_from(snapshots)  # the epic without items has no first day to wait for
    assert began == TODAY - timedelta(days=30)
    days = [m.done_by_day for m in (first, later, empty)]
    program = program_samples(days, TODAY, SETTINGS, began)
    assert (program.window_days, program.done_in_window, program.began) == (30, 8.0, began)
    assert program.daily == (0.0,) * 24 + (1.0,) * 4 + (2.0,) * 2
    # B has too few of its own: it shares the program's 30 days, not 84 of them.
    shared = epic_samples(later.done_by_day, combined_days(days, TODAY, 84, began), 2, TODAY, SETTINGS,
                          later.history_from, began)
    assert (shared.basis, shared.window_days, shared.began, shared.per_week) == \
        ("program", 30, began, round_figure(8 / 2 / 30 * 7, 2))


def test_a_snapshot_stored_before_the_first_day_was_kept_forecasts_over_the_whole_window() -> None:
    stored = begun("A-", 30, done=6, open_=4).snapshot()
    assert stored["history_from"] == (TODAY - timedelta(days=30)).isoformat()
    kept = Snapshot.stored(json.loads(json.dumps(stored)))
    new = Snapshot.from_metrics(begun("B-", 10, done=2, open_=8))
    assert kept is not None and history_from([kept, new]) == TODAY - timedelta(days=30)
    old = Snapshot.stored({key: value for key, value in stored.items() if key != "history_from"})
    junk = Snapshot.stored({**stored, "history_from": "last spring"})
    for snapshot in (old, junk):
        assert snapshot is not None and snapshot.history_from is None
        # A's first day is not known, so it may have worked all window: B's later start does not count.
        began = history_from([snapshot, new])
        program = program_samples([snapshot.done_by_day, new.done_by_day], TODAY, SETTINGS, began)
        assert (program.window_days, program.began, program.done_in_window) == (84, None, 8.0)
