import pytest


@pytest.mark.parametrize("note, expected", [
    ("She has been out of work since the injury.", True),
    ("He missed three shifts last week because of the pain.", True),
    ("Has not returned to work since February.", True),
    ("She is no longer able to garden and had to give up bowling.", True),
    ("He quit his construction job in the spring.", True),
    ("Now on short-term disability.", True),
    ("Requires assistance with bathing.", True),
    ("His wife helps; he needs help putting on his shoes.", True),
    ("The pain limits her ability to stand at the register.", True),
    ("He can't climb the stairs to his bedroom anymore.", True),
    ("Independent with all activities of daily living.", False),
    ("Never missed work because of it.", False),
    ("He stopped naproxen because of reflux.", None),
    ("Return sooner if unable to walk.", None),
    ("Neck Disability Index: 30%.", None),
    ("Oswestry Disability Index 22%.", None),
])
def test_daily_life_and_work_limits(facts_of, note, expected):
    assert facts_of(note)["function"]["adl_limited"] is expected


@pytest.mark.parametrize("note, field, expected", [
    ("Neck Disability Index today is 32%.", "ndi_percent", 32),
    ("NDI currently 21 out of 50.", "ndi_percent", 42),
    ("His Neck Disability Index was 17/50 at this visit.", "ndi_percent", 34),
    ("Oswestry score now 19/50.", "odi_percent", 38),
    ("Oswestry Disability Index (ODI) is now 40%.", "odi_percent", 40),
])
def test_disability_index_with_words_between_name_and_score(facts_of, note, field, expected):
    assert facts_of(note)["function"][field] == expected


@pytest.mark.parametrize("note", [
    "Her son now does the laundry and grocery shopping for her.",
    "Her daughter does her shopping.",
    "She has missed days and her daughter has been helping her with the laundry and the groceries.",
    "He needs his daughter to do the grocery shopping.",
])
def test_someone_else_doing_the_chores_limits_adls(facts_of, note):
    assert facts_of(note)["function"]["adl_limited"] is True


@pytest.mark.parametrize("note, limited", [
    ("Can't tolerate a bra or fitted shirts.", True),
    ("He is unable to tolerate sitting for more than 20 minutes.", True),
    ("Patient is not able to return to his usual and customary duties as crew lead at this time.", True),
    # A form: the unticked box is not the answer.
    ("WORK STATUS\n[ ] Full duty   [X] Modified duty   [ ] Temporarily totally disabled\n", None),
    ("WORK STATUS\n[X] Full duty   [ ] Modified duty\n", False),
])
def test_more_ways_to_say_daily_life_is_limited(facts_of, note, limited):
    assert facts_of(note)["function"]["adl_limited"] is limited


@pytest.mark.parametrize("note, path, value", [
    ("Neck Disability Index (patient completed, MA totaled): 22/50", "ndi_percent", 44),
    ("ODI down from 52% to 30% at day 7.", "odi_percent", 30),
    ("Oswestry improved from 23/50 to 15/50.", "odi_percent", 30),
    ("Oswestry 52% -> 30%.", "odi_percent", 30),
])
def test_the_latest_value_of_an_index(facts_of, note, path, value):
    assert facts_of(note)["function"][path] == value


@pytest.mark.parametrize("note", [
    "Since the accident he has had trouble with overhead work and checking his blind spot when driving.",
    "She has had to give up mopping and carrying laundry baskets at home.",
    "She can no longer manage the stairs down to her basement laundry.",
    "She needs her partner's help to lift the infant car seat and to put on her jeans.",
    "Still not able to go back to his job as a diesel mechanic.",
    "Still limited standing at the stove and with yard work.",
    "He cannot return to full duty.",
    "She cannot lie on her right side at night, stairs are hard.",
    "She has not been able to do her own shopping or cooking.",
    "Cannot stand more than 20 min, needs help w/ laundry and grocery shopping.",
])
def test_plain_words_for_limited_daily_life(facts_of, note):
    assert facts_of(note)["function"]["adl_limited"] is True
