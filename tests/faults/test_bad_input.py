"""Bad landing files on real Spark: each case is refused whole or quarantined row by row, and
every landing row is counted in exactly one place (exact counts, every case).

The cases the ingestion already had tests for (wrong types, missing values, duplicated keys,
header only, empty file) are in tests/glue_scripts/test_ingest.py; the table below repeats
them with their exact conservation counts next to the new ones.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark import StorageLevel
from pyspark.sql import functions as F

from glue_scripts.lib import file_checks
from glue_scripts.lib.bronze import repeated_keys_query, uniqueness_rule
from glue_scripts.lib.file_checks import RETYPED_MIN_VALUES, SchemaDriftError
from glue_scripts.lib.fs import normalize_root
from glue_scripts.lib.ingest import LOAD_DATE_COLUMN, LoadCounts, ingest
from glue_scripts.lib.landing import LandingError, read_header
from lakehouse_assets.domains.importau.specs import PEDIDOS

pytestmark = pytest.mark.faults
INGESTED_AT = "2024-10-15 12:00:00"
HEADER = (
    "pedido_id,data_pedido,fornecedor_id,valor_total_brl,status,tipo_pagamento,prazo_dias,"
    "data_entrega_prevista,usuario_criacao,observacoes"
)
GOOD = [
    "PED001,2024-10-15,FORN001,100.00,ENTREGUE,PIX,30,2024-11-14,ana,",
    "PED002,2024-10-16,FORN002,200.00,PENDENTE,BOLETO,15,,bruno,nota",
    'PED003,2024-10-17,FORN001,300.00,ENTREGUE,PIX,,,carla,"frete, seguro"',
]


def write(path: Path, data: str | bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return normalize_root(str(path))


@pytest.fixture(params=[False, True], ids=["exact", "single-pass"])
def single_pass(request) -> bool:
    """Both ways of loading: the single pass refuses a file after reading its rows."""
    return request.param


def load(spark, files: list[str], single_pass: bool) -> None:
    """Load as the job does: a single pass refuses a file once its rows were read."""
    loaded = ingest(spark, files, PEDIDOS.payload(), INGESTED_AT, single_pass=single_pass)
    try:
        loaded.rows.count()
        loaded.checked()
    finally:
        loaded.release()


def counts(spark, files: list[str], single_pass: bool) -> tuple[int, int, int, list[str]]:
    loaded = ingest(spark, files, PEDIDOS.payload(), INGESTED_AT, single_pass=single_pass)
    try:
        rows = loaded.rows.count()
        landing = loaded.checked().landing_rows
        reasons = sorted(r.reason for r in loaded.quarantine.select("reason").collect())
        return landing, rows, len(reasons), reasons
    finally:
        loaded.release()


MALFORMED = "malformed line: expected 10 comma-separated fields"
ROW_LEVEL_CASES = {
    # case: (file content, landing rows, bronze rows, quarantined rows, reasons)
    "clean": ("\n".join([HEADER, *GOOD]) + "\n", 3, 3, 0, []),
    "header only": (HEADER + "\n\n", 0, 0, 0, []),
    "wrong types in some rows": (
        "\n".join([HEADER, *GOOD, "PED004,2024-02-30,FORN001,1.0.0,PIX,,x,,,"]) + "\n",
        4,
        3,
        1,
        [
            "data_pedido: '2024-02-30' is not a valid date; "
            "valor_total_brl: '1.0.0' is not a valid decimal(18,2); "
            "prazo_dias: 'x' is not a valid int"
        ],
    ),
    "duplicated key (the last line wins)": (
        "\n".join([HEADER, *GOOD, GOOD[0].replace("100.00", "150.00")]) + "\n",
        4,
        3,
        1,
        ["duplicate key pedido_id=PED001 (a later line wins)"],
    ),
    "truncated last line, fields missing": (
        "\n".join([HEADER, *GOOD, "PED004,2024-10-18,FOR"]),
        4,
        3,
        1,
        [MALFORMED],
    ),
    "truncated last line, inside a quoted field": (
        "\n".join([HEADER, *GOOD, 'PED004,2024-10-18,FORN001,1.00,PIX,,,,,"frete, seg']),
        4,
        3,
        1,
        [MALFORMED],
    ),
    "wrong field count and a missing required value": (
        "\n".join([HEADER, *GOOD, "PED005,2024-10-18", ",2024-10-18,FORN001,1.00,,,,,,"]) + "\n",
        5,
        3,
        2,
        [
            f"{MALFORMED}; fornecedor_id: required value is missing",
            "pedido_id: required value is missing",
        ],
    ),
}


REPEATED = "duplicated key (the last line wins)"


@pytest.mark.parametrize(
    ("case", "one_pass"),
    [
        *((case, False) for case in ROW_LEVEL_CASES),
        # A single pass leaves repeated keys to the job (see the test after this one).
        *((case, True) for case in ROW_LEVEL_CASES if case != REPEATED),
    ],
)
def test_row_level_cases_conserve_every_row_with_exact_counts(spark, tmp_path, case, one_pass):
    content, landing, published, quarantined, reasons = ROW_LEVEL_CASES[case]
    file = write(tmp_path / "pedidos.csv", content)
    assert counts(spark, [file], one_pass) == (landing, published, quarantined, reasons)
    assert landing == published + quarantined


def test_a_single_pass_writes_a_repeated_key_and_the_jobs_query_finds_it(spark, tmp_path):
    def repeated(content: str, name: str) -> list[dict]:
        file = write(tmp_path / name / "pedidos.csv", content)
        loaded = ingest(spark, [file], PEDIDOS.payload(), INGESTED_AT, single_pass=True)
        written = loaded.rows.withColumn(LOAD_DATE_COLUMN, F.lit("20241015"))
        written.createOrReplaceTempView(name)
        found = spark.sql(repeated_keys_query(name, PEDIDOS.primary_key)).collect()
        assert loaded.checked() == LoadCounts(landing_rows=written.count(), quarantined_rows=0)
        return [r.asDict() for r in found]

    assert repeated(ROW_LEVEL_CASES[REPEATED][0], "repeats") == [{"repeated": 1}]
    assert repeated(ROW_LEVEL_CASES["clean"][0], "clean") == []


def test_the_load_asks_for_repeated_keys_only_without_a_uniqueness_rule():
    spec = PEDIDOS.payload()
    assert uniqueness_rule(spec, PEDIDOS.primary_key) == "chave_unica"
    without = {**spec, "rules": [r for r in spec["rules"] if r["kind"] != "unique"]}
    assert uniqueness_rule(without, PEDIDOS.primary_key) is None
    # A rule on the key alone is stricter than one load: not the same question.
    across = [{"name": "u", "kind": "unique", "columns": list(PEDIDOS.primary_key)}]
    assert uniqueness_rule({**spec, "rules": across}, PEDIDOS.primary_key) is None


def test_a_clean_single_pass_reads_its_text_once(spark, tmp_path):
    path = tmp_path / "pedidos.csv"
    file = write(path, "\n".join([HEADER, *GOOD]) + "\n")
    loaded = ingest(spark, [file], PEDIDOS.payload(), INGESTED_AT, single_pass=True)
    assert loaded.rows.count() == 3
    # The counts came with the rows: nothing reads the file any more.
    path.unlink()
    assert loaded.checked() == LoadCounts(landing_rows=3, quarantined_rows=0)


def test_counts_that_never_arrive_are_taken_again_exactly(spark, tmp_path, monkeypatch):
    # The rows are never written, so Spark never delivers the counts observed on them.
    monkeypatch.setattr(file_checks, "OBSERVATION_WAIT_SECONDS", 0.1)
    lines = [HEADER, *GOOD, "PED004,2024-10-18,FOR"]
    file = write(tmp_path / "pedidos.csv", "\n".join(lines) + "\n")
    loaded = ingest(spark, [file], PEDIDOS.payload(), INGESTED_AT, single_pass=True)
    assert loaded.checked() == LoadCounts(landing_rows=4, quarantined_rows=1)


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolon"), ("\t", "tab"), ("|", "pipe")])
def test_another_delimiter_refuses_the_file_naming_the_delimiter(tmp_path, delimiter, name):
    lines = [HEADER.replace(",", delimiter), GOOD[0].replace(",", delimiter)]
    file = write(tmp_path / "pedidos.csv", "\n".join(lines) + "\n")
    with pytest.raises(LandingError) as err:
        read_header(file)
    assert str(err.value) == (
        f"landing file {file} is delimited by {delimiter!r} ({name}), not by commas: its "
        f"header has 10 {name}-separated fields and 1 comma-separated one(s); re-export it "
        "comma-separated (RFC 4180 CSV) and load the day again"
    )


def test_commas_with_a_stray_semicolon_in_a_column_name_are_still_commas(tmp_path):
    file = write(tmp_path / "x.csv", "a;b,c,d\n1,2,3\n")
    assert read_header(file).header == ["a;b", "c", "d"]


def test_bytes_that_are_not_utf8_in_a_data_row_refuse_the_whole_file(spark, tmp_path, single_pass):
    # Latin-1 with an ASCII header: only the accented line is broken, but the file's encoding
    # is wrong; loading the other lines would publish a biased subset.
    latin1 = "\n".join([HEADER, *GOOD, "PED004,2024-10-18,FORN001,1.00,PIX,,,,jos\xe9,"]) + "\n"
    file = write(tmp_path / "pedidos.csv", latin1.encode("latin-1"))
    with pytest.raises(LandingError) as err:
        load(spark, [file], single_pass)
    assert str(err.value) == (
        f"landing file {file} is not UTF-8: 1 of its 4 line(s) hold bytes that are not UTF-8, "
        "e.g. 'PED004,2024-10-18,FORN001,1.00,PIX,,,,jos\ufffd,'; re-export it as UTF-8 (it "
        "is probably Latin-1 / Windows-1252) and load the day again"
    )
    assert not isinstance(err.value, SchemaDriftError)


def test_valid_utf8_with_accents_and_a_replacement_character_loads(spark, tmp_path, single_pass):
    lines = [HEADER, "PED001,2024-10-15,FORN001,1.00,PIX,,,,joão,ma\ufffdo"]
    file = write(tmp_path / "pedidos.csv", "\n".join(lines) + "\n")
    assert counts(spark, [file], single_pass) == (1, 1, 0, [])


def test_a_column_whose_values_no_longer_parse_stops_the_load(spark, tmp_path, single_pass):
    retyped = [line.replace("2024-10-1", "1x/10/2024-") for line in GOOD]
    file = write(tmp_path / "pedidos.csv", "\n".join([HEADER, *retyped]) + "\n")
    with pytest.raises(SchemaDriftError) as err:
        load(spark, [file], single_pass)
    assert str(err.value) == (
        f"landing file {file}: column data_pedido changed: none of its 3 values is a valid "
        "date (e.g. '1x/10/2024-5'); importau_bronze.pedidos was not loaded. Fix the export, "
        "or change the column's type or format in the spec if the source really changed"
    )
    assert err.value.retyped == {
        file: {"data_pedido": "none of its 3 values is a valid date (e.g. '1x/10/2024-5')"}
    }
    assert err.value.missing == {}


def test_a_few_bad_values_of_a_column_are_ordinary_bad_rows(spark, tmp_path, single_pass):
    # Below RETYPED_MIN_VALUES unparsable values with none good, rows are quarantined.
    bad = [f"PED00{i},15/10/2024,FORN001,1.00,PIX,,,,," for i in range(RETYPED_MIN_VALUES - 1)]
    file = write(tmp_path / "pedidos.csv", "\n".join([HEADER, *bad]) + "\n")
    landing, published, quarantined, _ = counts(spark, [file], single_pass)
    assert (landing, published, quarantined) == (2, 0, 2)


def test_a_file_none_of_whose_lines_fits_its_header_is_refused(spark, tmp_path, single_pass):
    shifted = [line + ",extra" for line in GOOD]
    file = write(tmp_path / "pedidos.csv", "\n".join([HEADER, *shifted]) + "\n")
    with pytest.raises(LandingError, match=r"none of its 3 lines has as many comma-separated"):
        load(spark, [file], single_pass)


def test_missing_columns_in_several_files_are_all_named(spark, tmp_path, single_pass):
    a = write(tmp_path / "a.csv", HEADER.replace(",observacoes", "") + "\n")
    b = write(tmp_path / "b.csv", HEADER.replace("fornecedor_id,", "") + ",canal\n")
    with pytest.raises(SchemaDriftError) as err:
        load(spark, [a, b], single_pass)
    assert str(err.value) == (
        f"landing file {a} lacks column(s) ['observacoes'] required by importau_bronze.pedidos; "
        f"landing file {b} lacks column(s) ['fornecedor_id'] required by "
        "importau_bronze.pedidos; fix the export, or change the spec if the source really "
        "changed"
    )
    assert err.value.missing == {a: ["observacoes"], b: ["fornecedor_id"]}
    assert err.value.added == {b: ["canal"]}


def test_the_parse_is_cached_once_and_released(spark, tmp_path):
    path = tmp_path / "landing" / "pedidos.csv"
    file = write(path, "\n".join([HEADER, *GOOD, "PED009,x,,,,,,,,"]) + "\n")
    loaded = ingest(spark, [file], PEDIDOS.payload(), INGESTED_AT)
    try:
        assert loaded.parsed.storageLevel == StorageLevel.MEMORY_AND_DISK_DESER
        assert loaded.checked().landing_rows == 4
        # Counting the landing filled the cache: rows and quarantine no longer read the file.
        path.unlink()
        assert (loaded.rows.count(), loaded.quarantine.count()) == (3, 1)
    finally:
        loaded.release()
    assert not loaded.parsed.is_cached
