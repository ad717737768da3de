"""Landing layouts and CSV ingestion with quarantine (glue_scripts/lib/{landing,ingest}.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import reduce
from pathlib import Path

import pytest
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from glue_scripts.lib.fs import normalize_root
from glue_scripts.lib.ingest import QUARANTINE_COLUMNS, ingest, source_columns
from glue_scripts.lib.landing import LandingError, find_source_files, read_header
from lakehouse_assets.domains.helpers import bronze_table
from lakehouse_assets.domains.importau.specs import BRONZE, FORNECEDORES, PEDIDOS
from lakehouse_assets.specs import Column

INGESTED_AT = "2024-10-15 12:00:00"
STAMP = dt.datetime(2024, 10, 15, 12, 0, 0)
PEDIDOS_HEADER = (
    "pedido_id,data_pedido,fornecedor_id,valor_total_brl,status,tipo_pagamento,prazo_dias,"
    "data_entrega_prevista,usuario_criacao,observacoes"
)
FORNECEDORES_HEADER = (
    "fornecedor_id,razao_social,cnpj,pais_origem,categoria,rating,tempo_parceria_anos,"
    "condicoes_pagamento,moeda_negociacao,contato_email,telefone"
)
PEDIDO_COLUMNS = [
    "pedido_id",
    "data_pedido",
    "fornecedor_id",
    "valor_total_brl",
    "status",
    "tipo_pagamento",
    "prazo_dias",
    "data_entrega_prevista",
    "usuario_criacao",
    "observacoes",
]


def uri(path: Path) -> str:
    return normalize_root(str(path))


def write(path: Path, *lines: str, newline: str = "\n", bom: bool = False) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = newline.join(lines) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data.encode("utf-8"))
    return uri(path)


def run(spark, files: list[str], spec: dict) -> dict:
    """Ingest and collect everything a test looks at (one Spark action per frame)."""
    loaded = ingest(spark, files, spec, INGESTED_AT)
    rows = [r.asDict() for r in loaded.rows.collect()]
    quarantine = [r.asDict() for r in loaded.quarantine.collect()]
    loaded.release()  # what the tests look at later needs no Spark job
    # Conservation: every landing row ends in exactly one place, in every case.
    assert loaded.checked().landing_rows == len(rows) + len(quarantine)
    return {
        "loaded": loaded,
        "rows": {r[spec["primary_key"][0]]: r for r in rows},
        "row_list": rows,
        "quarantine": sorted(quarantine, key=lambda q: q["raw_line"]),
        "reasons": {q["raw_line"]: q["reason"] for q in quarantine},
    }


# --- landing layouts -----------------------------------------------------------------------


def test_daily_folder_is_preferred(tmp_path):
    landing = tmp_path / "landing"
    daily = write(landing / "pedidos" / "anomesdia=20241015" / "pedidos.csv", PEDIDOS_HEADER)
    write(landing / "pedidos" / "anomesdia=20241015" / "readme.txt", "not a csv")
    write(landing / "pedidos" / "pedidos_antigo.csv", PEDIDOS_HEADER)
    write(landing / "pedidos.csv", PEDIDOS_HEADER)
    assert find_source_files(uri(landing), "pedidos", "20241015") == [daily]


def test_source_folder_comes_next_with_all_its_csv_files(tmp_path):
    landing = tmp_path / "landing"
    second = write(landing / "pedidos" / "parte2.CSV", PEDIDOS_HEADER)
    first = write(landing / "pedidos" / "parte1.csv", PEDIDOS_HEADER)
    write(landing / "pedidos" / "anomesdia=20241014" / "pedidos.csv", PEDIDOS_HEADER)
    write(landing / "pedidos.csv", PEDIDOS_HEADER)
    assert find_source_files(uri(landing), "pedidos", "20241015") == [first, second]


def test_flat_export_folder_comes_last(tmp_path):
    landing = tmp_path / "landing"
    flat = write(landing / "pedidos.csv", PEDIDOS_HEADER)
    write(landing / "fornecedores.csv", FORNECEDORES_HEADER)
    (landing / "pedidos").mkdir()  # an empty source folder does not hide the flat file
    assert find_source_files(uri(landing), "pedidos", "20241015") == [flat]


def test_a_missing_source_names_every_path_looked_at(tmp_path):
    landing = tmp_path / "landing"
    write(landing / "fornecedores.csv", FORNECEDORES_HEADER)
    root = uri(landing)
    with pytest.raises(LandingError) as err:
        find_source_files(root, "pedidos", "20241015", "importau")
    assert str(err.value) == (
        f"no landing file for source 'pedidos' (looked for {root}/pedidos/anomesdia=20241015/"
        f"*.csv, {root}/pedidos/*.csv and {root}/pedidos.csv); generate sample data with "
        f"`lakehouse generate importau --out {root}` or point LAKEHOUSE_LANDING at the folder "
        "holding the exports"
    )


def test_read_header_strips_bom_cr_and_spaces(tmp_path):
    file = write(tmp_path / "x.csv", "a, b ,c", "1,2,3", newline="\r\n", bom=True)
    header = read_header(file)
    assert header.uri == file
    assert header.header == ["a", "b", "c"]
    assert header.header_line == "a, b ,c"


def test_an_empty_file_is_a_clear_error(tmp_path):
    file = write(tmp_path / "pedidos.csv", "", "  ")
    with pytest.raises(LandingError) as err:
        read_header(file)
    assert str(err.value) == (f"landing file {file} is empty: it has no header line; re-export it")


def test_a_file_that_is_not_utf8_is_a_clear_error(tmp_path):
    path = tmp_path / "fornecedores.csv"
    path.write_bytes("fornecedor_id,razão_social\n".encode("latin-1"))
    with pytest.raises(LandingError, match=r"fornecedores\.csv is not UTF-8 \(.*\); re-export"):
        read_header(uri(path))


# --- parsing and quarantine ----------------------------------------------------------------


def test_source_columns_leave_out_ingestion_and_partition_columns():
    names = [c["name"] for c in source_columns(PEDIDOS.payload())]
    assert names == PEDIDO_COLUMNS


MESSY_PEDIDOS = [
    PEDIDOS_HEADER,
    "PED001,2024-10-15,FORN001,15750.50,ENTREGUE,BOLETO,30,2024-11-14,matheus.silva,Pedido urgente",
    "PED002,2024-10-16,FORN002,8920.00,EM_TRANSITO,,,,,",
    "",
    "PED003,2024-13-45,FORN001,100.00,PENDENTE,PIX,30,,,",
    "PED004,2024-10-17,FORN001,12x50,PENDENTE,PIX,30,,,",
    "PED005,2024-10-17,,100.00,PENDENTE,PIX,30,,,",
    "PED006,2024-10-17,FORN001,100.00,PENDENTE",
    "PED007,2024-10-18,FORN003,1.00,ENTREGUE,,,,,primeira",
    "   ",
    'PED008,2024-10-19,FORN004,"1,5",PENDENTE,PIX,,,,',
    "PED009,2024-10-19,FORN004,10.00,PENDENTE,PIX,5.7,,,",
    "PED010,2024-10-19,FORN004,10.00,PENDENTE,PIX,,,,,x",
    "PED007,2024-10-18,FORN003,2.00,ENTREGUE,,,,,segunda",
    "PED011,2024-10-20,FORN005,3.456,PENDENTE,PIX,,,,",
    ' PED012 ,2024-10-20,FORN005, 7.10 ,ENTREGUE,PIX, 15 ,,,"Frete, seguro e ""taxas"""',
    "PED013,,FORN005,7.00,ENTREGUE,PIX,,,,",
    ",15/10/2024,FORN001,abc,,,,,,",
]


@pytest.fixture(scope="module")
def messy(spark, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("messy")
    file = write(folder / "pedidos.csv", *MESSY_PEDIDOS)
    return {"file": file, **run(spark, [file], PEDIDOS.payload())}


def test_messy_file_counts(messy):
    # 15 data lines; the empty and the blank line are not rows, nor is the header.
    assert messy["loaded"].checked().landing_rows == 15
    assert sorted(messy["rows"]) == ["PED001", "PED002", "PED007", "PED012"]
    assert len(messy["quarantine"]) == 11
    assert messy["loaded"].files == [messy["file"]]
    assert messy["loaded"].drift == {}


def test_a_good_line_is_typed(messy):
    assert messy["rows"]["PED001"] == {
        "pedido_id": "PED001",
        "data_pedido": dt.date(2024, 10, 15),
        "fornecedor_id": "FORN001",
        "valor_total_brl": Decimal("15750.50"),
        "status": "ENTREGUE",
        "tipo_pagamento": "BOLETO",
        "prazo_dias": 30,
        "data_entrega_prevista": dt.date(2024, 11, 14),
        "usuario_criacao": "matheus.silva",
        "observacoes": "Pedido urgente",
        "ingested_at": STAMP,
        "source_file": messy["rows"]["PED001"]["source_file"],
    }
    assert messy["rows"]["PED001"]["source_file"].endswith("/pedidos.csv")


def test_rows_have_the_spec_columns_then_the_ingestion_columns(messy):
    assert messy["loaded"].rows.columns == [*PEDIDO_COLUMNS, "ingested_at", "source_file"]
    assert messy["loaded"].quarantine.columns == list(QUARANTINE_COLUMNS)


def test_empty_optional_fields_are_null(messy):
    row = messy["rows"]["PED002"]
    assert [row[c] for c in ("tipo_pagamento", "prazo_dias", "data_entrega_prevista")] == [
        None,
        None,
        None,
    ]
    assert [row[c] for c in ("usuario_criacao", "observacoes")] == [None, None]


def test_values_are_trimmed_and_rfc4180_quoted_fields_keep_commas_and_quotes(messy):
    row = messy["rows"]["PED012"]
    assert row["pedido_id"] == "PED012"
    assert row["valor_total_brl"] == Decimal("7.10")
    assert row["prazo_dias"] == 15
    assert row["observacoes"] == 'Frete, seguro e "taxas"'


def quarantined(messy, pedido_id: str) -> str:
    (reason,) = [r for line, r in messy["reasons"].items() if line.startswith(pedido_id + ",")]
    return reason


@pytest.mark.parametrize(
    ("pedido_id", "reason"),
    [
        ("PED003", "data_pedido: '2024-13-45' is not a valid date"),
        ("PED004", "valor_total_brl: '12x50' is not a valid decimal(18,2)"),
        ("PED005", "fornecedor_id: required value is missing"),
        ("PED006", "malformed line: expected 10 comma-separated fields"),
        ("PED008", "valor_total_brl: '1,5' is not a valid decimal(18,2)"),
        ("PED010", "malformed line: expected 10 comma-separated fields"),
        ("PED013", "data_pedido: required value is missing"),
    ],
)
def test_bad_lines_are_quarantined_with_a_reason(messy, pedido_id, reason):
    assert quarantined(messy, pedido_id) == reason


def test_several_problems_of_one_line_are_all_reported(messy):
    assert messy["reasons"][MESSY_PEDIDOS[-1]] == (
        "pedido_id: required value is missing; "
        "data_pedido: '15/10/2024' is not a valid date; "
        "valor_total_brl: 'abc' is not a valid decimal(18,2)"
    )


def test_numbers_are_not_silently_truncated_or_rounded(messy):
    # Spark's cast would make the int 5 of '5.7' and the decimal(18,2) 3.46 of '3.456'.
    assert quarantined(messy, "PED009") == "prazo_dias: '5.7' is not a valid int"
    assert quarantined(messy, "PED011") == "valor_total_brl: '3.456' is not a valid decimal(18,2)"


def test_duplicate_keys_keep_the_last_line(messy):
    assert messy["rows"]["PED007"]["observacoes"] == "segunda"
    assert messy["rows"]["PED007"]["valor_total_brl"] == Decimal("2.00")
    first = [line for line in messy["reasons"] if line.startswith("PED007,")]
    assert first == [MESSY_PEDIDOS[8]]
    assert messy["reasons"][first[0]] == "duplicate key pedido_id=PED007 (a later line wins)"


def test_a_repeated_key_in_files_with_other_headers_keeps_each_files_own_line(spark, tmp_path):
    # Two header orders are two reads whose line ids start alike: the quarantined line's text
    # must come from its own file, once.
    a = write(tmp_path / "a.csv", "leitura_id,dia,momento,valor,lote", "1,,,1.5,", "1,,,2.5,")
    b = write(tmp_path / "b.csv", "lote,valor,momento,dia,leitura_id", ",3.5,,,2", ",4.5,,,2")
    result = run(spark, [a, b], LEITURAS.payload())
    assert {k: r["valor"] for k, r in result["rows"].items()} == {1: 2.5, 2: 4.5}
    assert [(q["raw_line"], q["source_file"].rsplit("/", 1)[-1]) for q in result["quarantine"]] == [
        (",3.5,,,2", "b.csv"),
        ("1,,,1.5,", "a.csv"),
    ]


def test_quarantine_rows_keep_the_raw_line_file_and_load_time(messy):
    row = next(q for q in messy["quarantine"] if q["raw_line"].startswith("PED004,"))
    assert row == {
        "raw_line": MESSY_PEDIDOS[5],
        "source_file": messy["rows"]["PED001"]["source_file"],
        "reason": "valor_total_brl: '12x50' is not a valid decimal(18,2)",
        "ingested_at": STAMP,
    }


def test_fornecedores_null_token_accents_crlf_and_bom(spark, tmp_path):
    file = write(
        tmp_path / "fornecedores.csv",
        FORNECEDORES_HEADER,
        "FORN005,MegaStock Logística,33.444.555/0001-66,Brasil,Logística,B,4,30 dias,BRL,"
        "logistica@megastock.com.br,+55-19-9988-7766",
        "FORN006,USA Tech Imports LLC,--,Estados Unidos,Tecnologia,A+,10,90 dias,USD,"
        "import@usatech.com,+1-555-123-4567",
        "FORN022,JapanParts Corporation, -- ,Japão,Autopeças,A+,15,60-90 dias,JPY,,",
        "FORN099,Sem Rating,--,Brasil,Química,--,x,30 dias,BRL,,",
        newline="\r\n",
        bom=True,
    )
    result = run(spark, [file], FORNECEDORES.payload())

    assert result["loaded"].checked().landing_rows == 4
    assert sorted(result["rows"]) == ["FORN005", "FORN006", "FORN022"]
    assert result["rows"]["FORN005"]["cnpj"] == "33.444.555/0001-66"
    assert result["rows"]["FORN005"]["razao_social"] == "MegaStock Logística"
    assert result["rows"]["FORN005"]["telefone"] == "+55-19-9988-7766"  # no trailing \r
    assert result["rows"]["FORN006"]["cnpj"] is None  # `--` is NULL, not quarantined
    assert result["rows"]["FORN022"]["cnpj"] is None
    assert result["rows"]["FORN022"]["pais_origem"] == "Japão"
    assert result["rows"]["FORN022"]["categoria"] == "Autopeças"
    assert result["rows"]["FORN022"]["contato_email"] is None
    # `--` is a null token of cnpj only: elsewhere it is a value.
    assert result["reasons"] == {
        "FORN099,Sem Rating,--,Brasil,Química,--,x,30 dias,BRL,,": (
            "tempo_parceria_anos: 'x' is not a valid int"
        )
    }


def test_a_header_in_another_order_maps_by_name_and_extra_columns_are_drift(spark, tmp_path):
    header = (
        "observacoes,pedido_id,canal_venda,usuario_criacao,data_entrega_prevista,prazo_dias,"
        "tipo_pagamento,status,valor_total_brl,fornecedor_id,data_pedido"
    )
    reordered = write(
        tmp_path / "b.csv",
        header,
        "nota b,PED002,SITE,ana,2024-11-30,45,PIX,PENDENTE,8920.00,FORN002,2024-10-16",
    )
    standard = write(
        tmp_path / "a.csv",
        PEDIDOS_HEADER,
        "PED001,2024-10-15,FORN001,1.00,ENTREGUE,BOLETO,30,2024-11-14,matheus.silva,nota a",
    )
    result = run(spark, [standard, reordered], PEDIDOS.payload())

    assert result["loaded"].checked().landing_rows == 2
    assert result["loaded"].drift == {reordered: ["canal_venda"]}
    assert result["loaded"].rows.columns == [*PEDIDO_COLUMNS, "ingested_at", "source_file"]
    row = dict(result["rows"]["PED002"])
    assert row.pop("source_file").endswith("/b.csv")
    assert row == {
        "pedido_id": "PED002",
        "data_pedido": dt.date(2024, 10, 16),
        "fornecedor_id": "FORN002",
        "valor_total_brl": Decimal("8920.00"),
        "status": "PENDENTE",
        "tipo_pagamento": "PIX",
        "prazo_dias": 45,
        "data_entrega_prevista": dt.date(2024, 11, 30),
        "usuario_criacao": "ana",
        "observacoes": "nota b",
        "ingested_at": STAMP,
    }
    assert result["rows"]["PED001"]["observacoes"] == "nota a"


def test_quotes_backslashes_and_backticks_in_headers_tokens_and_values_stay_text(spark, tmp_path):
    # The parse is SQL text: a header, a null token or a value holding SQL's quoting
    # characters must neither break it nor change what it reads.
    spec = PEDIDOS.payload()
    for column in spec["columns"]:
        if column["name"] == "observacoes":
            column["null_values"] = ["it's", "c:\\none"]
    header = PEDIDOS_HEADER + ',`nota` do "cliente",o\'que\\x'
    file = write(
        tmp_path / "a.csv",
        header,
        "PED001,2024-10-15,FORN001,1.00,ENTREGUE,BOLETO,30,2024-11-14,ana,it's,x,y",
        "PED002,2024-10-15,FORN001,1.00,ENTREGUE,BOLETO,30,2024-11-14,ana,c:\\none,x,y",
        "PED003,2024-10-15,FORN001,1.00,ENTREGUE,BOLETO,30,2024-11-14,ana,o'k \\n `b`,x,y",
        "PED004,2024-10-1',FORN001,1.00,ENTREGUE,BOLETO,30,2024-11-14,ana,,x,y",
    )
    result = run(spark, [file], spec)

    assert result["loaded"].drift == {file: ['`nota` do "cliente"', "o'que\\x"]}
    observacoes = {k: r["observacoes"] for k, r in result["rows"].items()}
    assert observacoes == {"PED001": None, "PED002": None, "PED003": "o'k \\n `b`"}
    (reason,) = result["reasons"].values()
    assert reason == "data_pedido: '2024-10-1'' is not a valid date"


def test_a_missing_required_column_rejects_the_whole_file(spark, tmp_path):
    good = write(tmp_path / "a.csv", PEDIDOS_HEADER)
    bad = write(
        tmp_path / "b.csv",
        "pedido_id,data_pedido,valor_total_brl,status,tipo_pagamento,prazo_dias,"
        "data_entrega_prevista,usuario_criacao",
        "PED001,2024-10-15,1.00,ENTREGUE,BOLETO,30,2024-11-14,ana",
    )
    with pytest.raises(LandingError) as err:
        ingest(spark, [good, bad], PEDIDOS.payload(), INGESTED_AT)
    assert str(err.value) == (
        f"landing file {bad} lacks column(s) ['fornecedor_id', 'observacoes'] required by "
        "importau_bronze.pedidos; fix the export, or change the spec if the source really "
        "changed"
    )


def test_an_empty_landing_file_is_a_clear_error(spark, tmp_path):
    file = write(tmp_path / "pedidos.csv", "")
    with pytest.raises(LandingError, match=r"pedidos\.csv is empty: it has no header line"):
        ingest(spark, [file], PEDIDOS.payload(), INGESTED_AT)


def test_no_files_is_a_clear_error(spark):
    with pytest.raises(LandingError) as err:
        ingest(spark, [], PEDIDOS.payload(), INGESTED_AT)
    assert str(err.value) == "no landing files given for importau_bronze.pedidos"


def test_a_header_only_file_gives_no_rows(spark, tmp_path):
    file = write(tmp_path / "pedidos.csv", PEDIDOS_HEADER, "", "")
    result = run(spark, [file], PEDIDOS.payload())
    assert result["loaded"].checked().landing_rows == 0
    assert result["row_list"] == []
    assert result["quarantine"] == []


LEITURAS = bronze_table(
    domain="testes",
    name="leituras",
    description="Sensor readings, to test formats and numeric types.",
    owner="team:tests",
    job="testes_bronze_ingest",
    columns=(
        Column("leitura_id", "bigint", "Reading id.", nullable=False),
        Column("dia", "date", "Day, Brazilian format.", format="dd/MM/yyyy"),
        Column("momento", "timestamp", "Time of the reading."),
        Column("valor", "double", "Value read."),
        Column("lote", "decimal(5,0)", "Batch."),
    ),
    primary_key=("leitura_id",),
)


def test_formats_and_numeric_types_of_a_small_spec(spark, tmp_path):
    file = write(
        tmp_path / "leituras.csv",
        "leitura_id,dia,momento,valor,lote",
        "1,15/10/2024,2024-10-15 08:30:00,1.5,12",
        "2,2024-10-15,2024-10-15 08:30:00,1.5,12",
        "3,15/10/2024,2024-10-15,1.5,12",
        "4,15/10/2024,,-2.25e3,12.00",
        "x,15/10/2024,,,",
        "6,,,,123456",
        "7,,,,1.5",
        # Spark's older parser read this day; left to its default policy, Spark 3 would stop
        # the job instead of calling the value invalid.
        "8,5/10/2024,2024-10-15 8:30:00,,",
    )
    result = run(spark, [file], LEITURAS.payload())
    assert sorted(result["rows"]) == [1, 4]
    one = result["rows"][1]
    assert (one["dia"], one["momento"], one["valor"], one["lote"]) == (
        dt.date(2024, 10, 15),
        dt.datetime(2024, 10, 15, 8, 30),
        1.5,
        Decimal("12"),
    )
    assert (result["rows"][4]["valor"], result["rows"][4]["lote"]) == (-2250.0, Decimal("12"))
    assert sorted(result["reasons"].values()) == [
        "dia: '2024-10-15' is not a valid date",
        "dia: '5/10/2024' is not a valid date; momento: '2024-10-15 8:30:00' is not a valid "
        "timestamp",
        "leitura_id: 'x' is not a valid bigint",
        "lote: '1.5' is not a valid decimal(5,0)",
        "lote: '123456' is not a valid decimal(5,0)",
        "momento: '2024-10-15' is not a valid timestamp",
    ]


# --- the real ImportAu exports -------------------------------------------------------------

REAL_COUNTS = {
    "cambio": 30,
    "emprestimos": 30,
    "fornecedores": 30,
    "itens_pedido": 41,
    "pagamentos": 30,
    "pedidos": 30,
    "produtos": 30,
}


@pytest.fixture(scope="module")
def real(spark, real_exports) -> dict:
    landing = uri(real_exports)
    loads = {}
    for spec in BRONZE:
        payload = spec.payload()
        files = find_source_files(landing, payload["source"], "20241015")
        assert files == [f"{landing}/{payload['source']}.csv"]
        loads[spec.name] = ingest(spark, files, payload, INGESTED_AT)
    # One Spark job for the rows of all seven tables, one for their quarantine.
    rows = reduce(
        DataFrame.unionByName,
        (loaded.rows.select(F.lit(name).alias("table")) for name, loaded in loads.items()),
    )
    quarantine = reduce(
        DataFrame.unionByName,
        (
            loaded.quarantine.select(F.lit(name).alias("table"), "*")
            for name, loaded in loads.items()
        ),
    )
    result = {
        "loads": loads,
        "rows": {r["table"]: r["count"] for r in rows.groupBy("table").count().collect()},
        "quarantine": [r.asDict() for r in quarantine.collect()],
    }
    for loaded in loads.values():
        loaded.release()
    return result


def test_real_exports_load_completely(real):
    assert real["rows"] == REAL_COUNTS
    landing = {name: loaded.checked().landing_rows for name, loaded in real["loads"].items()}
    assert landing == REAL_COUNTS
    assert real["quarantine"] == []
    assert {name: loaded.drift for name, loaded in real["loads"].items()} == {
        name: {} for name in REAL_COUNTS
    }


def test_real_foreign_suppliers_have_a_null_cnpj(real):
    rows = real["loads"]["fornecedores"].rows.select("fornecedor_id", "cnpj", "pais_origem")
    suppliers = {r.fornecedor_id: (r.cnpj, r.pais_origem) for r in rows.collect()}
    foreign = sorted(k for k, (_, country) in suppliers.items() if country != "Brasil")
    without_cnpj = sorted(k for k, (cnpj, _) in suppliers.items() if cnpj is None)
    # The export has 11 suppliers outside Brazil, each exported with `--` as CNPJ.
    assert without_cnpj == foreign
    assert without_cnpj == [
        "FORN006",
        "FORN010",
        "FORN012",
        "FORN016",
        "FORN018",
        "FORN020",
        "FORN022",
        "FORN024",
        "FORN026",
        "FORN028",
        "FORN030",
    ]
    assert suppliers["FORN007"] == ("44.555.666/0001-77", "Brasil")
