"""What the credit model is fed: training window, bands, vocabulary, history window.

These settings are published as table parameters by the specs (catalog and Glue job see the
same text). Changing any of them changes the model's inputs, so each comes with a version:

- `STATISTICS_VERSION` names the imputation statistics fitted on `TRAINING_WINDOW`; a new
  window needs a new version (the job refuses to reuse a version for another window).
- `VOCABULARY_VERSION` names the exact one-hot vocabulary; any change of `CATEGORIES` or of
  the band labels needs a new version, because it changes the feature store's columns.
"""

from __future__ import annotations

from glue_scripts.lib.feature_config import Band, Vocabulary

STATISTICS_VERSION = "v2024q1"
# Applications dated in this window (inclusive, by application date) fit the statistics.
TRAINING_WINDOW = ("2024-01-01", "2024-03-31")
# History features look back this many days, the feature date included.
HISTORY_DAYS = 90
VOCABULARY_VERSION = "credito-vocab-2024.1"

# Youngest age from which working years and credit history can count.
MIN_WORKING_AGE = 14
AGE_RANGE = (18, 100)

BANDS: tuple[Band, ...] = (
    Band("age_band", "person_age", (26, 36, 46, 61), ("18_25", "26_35", "36_45", "46_60", "61_up")),
    Band(
        "income_band",
        "person_income",
        (25_000, 50_000, 75_000, 100_000, 150_000),
        ("lt_25k", "25k_50k", "50k_75k", "75k_100k", "100k_150k", "150k_up"),
    ),
    Band(
        "emp_length_band",
        "person_emp_length",
        (1, 3, 6, 11),
        ("lt_1", "1_2", "3_5", "6_10", "11_up"),
    ),
    Band(
        "loan_amnt_band",
        "loan_amnt",
        (5_000, 10_000, 15_000, 25_000),
        ("lt_5k", "5k_10k", "10k_15k", "15k_25k", "25k_up"),
    ),
    Band(
        "int_rate_band",
        "loan_int_rate",
        (8, 11, 14, 17),
        ("lt_8", "8_11", "11_14", "14_17", "17_up"),
    ),
    Band(
        "percent_income_band",
        "loan_percent_income",
        (0.1, 0.2, 0.3, 0.4),
        ("lt_10", "10_20", "20_30", "30_40", "40_up"),
    ),
    Band(
        "cred_hist_band",
        "cb_person_cred_hist_length",
        (5, 10, 15),
        ("lt_5", "5_9", "10_14", "15_up"),
    ),
)

# The source's categories, as the public credit-risk dataset spells them.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("person_home_ownership", ("RENT", "MORTGAGE", "OWN", "OTHER")),
    (
        "loan_intent",
        ("EDUCATION", "MEDICAL", "VENTURE", "PERSONAL", "DEBTCONSOLIDATION", "HOMEIMPROVEMENT"),
    ),
    ("loan_grade", ("A", "B", "C", "D", "E", "F", "G")),
    ("cb_person_default_on_file", ("Y", "N")),
)
CATEGORICAL = tuple(name for name, _ in CATEGORIES)

VOCABULARY = Vocabulary(
    VOCABULARY_VERSION, CATEGORIES + tuple((band.name, band.labels) for band in BANDS)
)

# Continuous model inputs, cleaned and imputed in silver, in the feature store's order.
NUMERIC = (
    "person_age",
    "person_income",
    "person_emp_length",
    "loan_amnt",
    "loan_int_rate",
    "loan_percent_income",
    "cb_person_cred_hist_length",
)
# Statistics fitted on the training window: (variable, statistic). The interest rate also has
# one median per loan grade seen in the window (`group_value` = the grade).
STATISTICS: tuple[tuple[str, str], ...] = (
    ("person_age", "median"),
    ("person_income", "median"),
    ("person_income", "p99"),
    ("person_emp_length", "median"),
    ("loan_amnt", "median"),
    ("loan_int_rate", "median"),
    ("cb_person_cred_hist_length", "median"),
    *((name, "mode") for name in CATEGORICAL),
)
