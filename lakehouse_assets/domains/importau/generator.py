"""Deterministic synthetic generator of the ImportAu source-system CSV exports.

ImportAu is a Brazilian importer whose seven source systems export plain CSV files
(``cambio``, ``emprestimos``, ``fornecedores``, ``itens_pedido``, ``pagamentos``, ``pedidos``,
``produtos``). :func:`generate` writes files with exactly the columns, column order, value
formats and quirks of the real exports, at any number of orders, so the pipeline can be
exercised at volume without touching production data.

Design notes:

* Everything is vectorised with numpy. Rows are rendered as a ``uint8`` matrix per chunk in
  which every field occupies a fixed-width slot padded with NUL bytes; dropping the NUL bytes
  of the row-major matrix yields the CSV text. This needs no per-row Python, no quoting logic
  and no pyarrow (whose build here requires numpy 2 while the project pins numpy 1.26).
* Order-level attributes (dates, suppliers, payment terms, status...) are drawn for all orders
  up front because they are small and fix the row counts (hence the ID widths) of the child
  files; items and payments are drawn and written per chunk of orders so memory stays bounded.
* Each random stream is seeded from ``(seed, stream, chunk)`` so output is byte-identical for a
  given ``(scale, seed)``.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

SOURCES: tuple[str, ...] = (
    "cambio",
    "emprestimos",
    "fornecedores",
    "itens_pedido",
    "pagamentos",
    "pedidos",
    "produtos",
)

# `lakehouse run` fills an empty landing folder at this scale: the shape of the real exports.
SAMPLE_SCALE = 30

HEADERS: dict[str, tuple[str, ...]] = {
    "cambio": (
        "data_cotacao",
        "moeda",
        "taxa_compra",
        "taxa_venda",
        "taxa_ptax",
        "variacao_dia_percentual",
        "fonte",
        "tipo_cambio",
        "hora_atualizacao",
    ),
    "emprestimos": (
        "emprestimo_id",
        "data_contratacao",
        "instituicao_financeira",
        "valor_principal_brl",
        "taxa_juros_anual",
        "prazo_meses",
        "valor_parcela_mensal",
        "saldo_devedor",
        "status",
        "finalidade",
        "data_vencimento_proxima",
        "num_parcelas_pagas",
        "usuario_responsavel",
    ),
    "fornecedores": (
        "fornecedor_id",
        "razao_social",
        "cnpj",
        "pais_origem",
        "categoria",
        "rating",
        "tempo_parceria_anos",
        "condicoes_pagamento",
        "moeda_negociacao",
        "contato_email",
        "telefone",
    ),
    "itens_pedido": (
        "item_id",
        "pedido_id",
        "produto_id",
        "quantidade",
        "preco_unitario",
        "desconto_percentual",
        "valor_total_item",
        "data_inclusao",
        "observacoes",
    ),
    "pagamentos": (
        "pagamento_id",
        "pedido_id",
        "fornecedor_id",
        "data_pagamento",
        "valor_pago_brl",
        "metodo_pagamento",
        "status_pagamento",
        "taxa_cambio_aplicada",
        "moeda_origem",
        "valor_moeda_origem",
        "num_parcelas",
        "parcela_atual",
        "data_vencimento",
        "usuario_aprovacao",
    ),
    "pedidos": (
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
    ),
    "produtos": (
        "produto_id",
        "nome_produto",
        "categoria",
        "subcategoria",
        "fornecedor_id",
        "preco_unitario_brl",
        "moeda_origem",
        "preco_origem",
        "unidade_medida",
        "peso_kg",
        "estoque_atual",
        "estoque_minimo",
        "lead_time_dias",
        "origem_fabricacao",
    ),
}

# Orders per chunk: ~1.4 items and ~1 payment per order keep each rendered chunk near 100 MB.
_CHUNK_ORDERS = 400_000

# Random stream identifiers (one independent generator per concern and chunk).
_S_CALENDAR, _S_FX, _S_SUPPLIERS, _S_PRODUCTS, _S_LOANS, _S_ORDERS, _S_CHUNK = range(7)

# ---------------------------------------------------------------------------------------------
# Reference data
# ---------------------------------------------------------------------------------------------

_CURRENCIES = ("BRL", "USD", "EUR", "JPY", "GBP", "CAD")
_BRL, _USD, _EUR, _JPY, _GBP, _CAD = range(6)
_FX_CURRENCIES = (_USD, _EUR, _JPY, _GBP, _CAD)  # row order within a day in the real file
# PTAX (in 1e-4 BRL) on the real file's first day, and around the start of 2024.
_PTAX_OCT_2024 = np.array([52465, 56250, 350, 68000, 38550], dtype=np.float64)
_PTAX_JAN_2024 = np.array([48900, 53700, 345, 62200, 36500], dtype=np.float64)
# Half of the buy/sell spread relative to PTAX, calibrated on the real quotes.
_FX_HALF_SPREAD = np.array([0.0022, 0.0023, 0.0057, 0.0022, 0.0034])
# Share of business days on which each currency is published (USD always is in the real file).
_FX_PRESENCE = np.array([1.0, 0.75, 0.33, 0.25, 0.2])
_FX_DAILY_VOL = 0.0035
_QUOTES_STOP_DAYS = 14  # real: quotes end 2024-10-30, orders run to 2024-11-13

# name, currency, phone country code, area codes, phone first-group width, TLDs,
# foreign name word, company suffixes, weight, label for order notes, label for item notes
_COUNTRIES: tuple[tuple, ...] = (
    ("Brasil", _BRL, "55", ("11", "21", "19", "16", "51", "41", "31", "81", "61", "71", "47"),
     4, (".com.br", ".com"), "", (), 0.63, "", ""),
    ("Estados Unidos", _USD, "1", ("555", "212", "305", "415", "312"), 3, (".com",), "USA",
     ("LLC", "Inc", "Corp"), 0.07, "EUA", "USA"),
    ("China", _USD, "86", ("21", "10", "20", "755"), 4, (".cn",), "China",
     ("Co", "Ltd", "Co Ltd"), 0.05, "China", "China"),
    ("Alemanha", _EUR, "49", ("30", "89", "40", "69"), 4, (".de",), "Euro",
     ("GmbH", "AG"), 0.04, "Alemanha", "Alemanha"),
    ("Coreia do Sul", _USD, "82", ("2", "31", "51"), 4, (".kr",), "Asian",
     ("Ltd", "Co"), 0.03, "Coreia", "Coreia"),
    ("México", _USD, "52", ("55", "33", "81"), 4, (".com.mx",), "Mexico",
     ("SA", "SA de CV"), 0.02, "México", "México"),
    ("Índia", _USD, "91", ("11", "22", "80"), 4, (".in",), "India",
     ("Exports", "Pvt Ltd"), 0.03, "Índia", "Índia"),
    ("Japão", _JPY, "81", ("3", "6", "52"), 4, (".jp",), "Japan",
     ("Corporation", "Co Ltd"), 0.03, "Japão", "Japão"),
    ("Argentina", _USD, "54", ("11", "351", "341"), 4, (".com.ar",), "Argentina",
     ("SA", "SRL"), 0.02, "Argentina", "Argentina"),
    ("França", _EUR, "33", ("1", "4", "6"), 4, (".fr",), "France",
     ("SARL", "SAS"), 0.025, "França", "França"),
    ("Canadá", _CAD, "1", ("416", "514", "604"), 4, (".ca",), "Canada",
     ("Industries", "Inc"), 0.025, "Canadá", "Canadá"),
    ("Espanha", _EUR, "34", ("91", "93", "96"), 4, (".es",), "Spain",
     ("SL", "SA"), 0.02, "Espanha", "Espanha"),
    ("Reino Unido", _GBP, "44", ("20", "161", "121"), 4, (".co.uk",), "British",
     ("Ltd", "PLC"), 0.02, "Reino Unido", "Reino Unido"),
)  # fmt: skip

_BR_STEMS = (
    ("TechSupply", "Tecnologia"),
    ("Global Parts", "Componentes"),
    ("EletroMax", "Eletrônicos"),
    ("IndustriaPro", "Industrial"),
    ("MegaStock", "Logística"),
    ("QuímicaBrasil", "Químicos"),
    ("FastParts", "Autopeças"),
    ("NacionalTex", "Têxtil"),
    ("AgriSupply", "Agrícola"),
    ("PlastBrasil", "Plásticos"),
    ("MetalMecanica", "Metalúrgica"),
    ("PaperSupply", "Papel e Celulose"),
    ("BioProdutos", "Alimentos"),
    ("BrasilPack", "Embalagens"),
    ("SulFerro", "Siderurgia"),
    ("MadeiraBrasil", "Madeira"),
    ("TecnoBrasil", "Tecnologia"),
    ("MinasSul", "Mineração"),
    ("NordestePack", "Embalagens"),
    ("PaulistaLog", "Logística"),
    ("CerradoAgro", "Agrícola"),
    ("AçoForte", "Siderurgia"),
    ("ConexãoTech", "Tecnologia"),
    ("ParanáQuímica", "Químicos"),
    ("GaúchaMetal", "Metalúrgica"),
    ("AmazôniaMadeiras", "Madeira"),
    ("RioComponentes", "Componentes"),
    ("CapitalAutopeças", "Autopeças"),
)
_BR_SUFFIXES = (
    "Ltda",
    "Distribuidora",
    "Indústria",
    "Comércio Ltda",
    "Solutions",
    "Nacional",
    "Distribuição",
    "Industrial",
    "Importadora",
    "Atacadista",
)
_FOREIGN_STEMS = (
    ("Tech", "Tecnologia"),
    ("Tech Imports", "Tecnologia"),
    ("Parts", "Componentes"),
    ("AutoParts", "Autopeças"),
    ("Metal", "Metalúrgica"),
    ("Supply", "Geral"),
    ("Manufacturing", "Manufatura"),
    ("Electronics", "Eletrônicos"),
    ("Machinery", "Industrial"),
    ("Chemicals", "Químicos"),
)
_BR_EMAIL_USERS = ("contato", "vendas", "comercial", "sales", "atendimento", "compras")
_FOREIGN_EMAIL_USERS = ("sales", "export", "info", "contact", "orders")
_RATINGS = ("A+", "A", "A-", "B+", "B")
_RATING_P = (0.2, 0.35, 0.1, 0.2, 0.15)
_BR_TERMS = (
    "15 dias",
    "30 dias",
    "45 dias",
    "60 dias",
    "15-30 dias",
    "30-45 dias",
    "30-60 dias",
    "45-60 dias",
)
_FOREIGN_TERMS = ("60 dias", "90 dias", "60-90 dias")

# nome, categoria, subcategoria, unidade, peso_kg (kept as text: the real column mixes 1 and
# 2 decimals), preco_unitario_brl in cents
_PRODUCTS: tuple[tuple[str, str, str, str, str, int], ...] = (
    ("Processador Intel i7", "Tecnologia", "Hardware", "UN", "0.5", 250000),
    ("Memória RAM 16GB DDR4", "Tecnologia", "Hardware", "UN", "0.2", 45000),
    ("SSD 1TB NVMe", "Tecnologia", "Armazenamento", "UN", "0.1", 58000),
    ("Placa Mãe ATX", "Tecnologia", "Hardware", "UN", "1.2", 120000),
    ("Cabo HDMI 2m", "Eletrônicos", "Cabos", "UN", "0.3", 3500),
    ("Motor Elétrico 5HP", "Industrial", "Motores", "UN", "25.0", 320000),
    ("Sensor de Temperatura", "Industrial", "Sensores", "UN", "0.4", 28000),
    ("Válvula Solenoide 1/2", "Industrial", "Válvulas", "UN", "1.8", 42000),
    ("Pneu 205/55 R16", "Autopeças", "Pneus", "UN", "9.5", 38000),
    ("Filtro de Óleo Automotivo", "Autopeças", "Filtros", "UN", "0.5", 4500),
    ("Tecido Algodão 1m", "Têxtil", "Tecidos", "M", "0.3", 2800),
    ("Parafuso M6x20mm", "Industrial", "Fixação", "UN", "0.02", 85),
    ("Notebook Dell 15", "Tecnologia", "Computadores", "UN", "2.1", 450000),
    ("Impressora Multifuncional", "Tecnologia", "Periféricos", "UN", "8.5", 180000),
    ("Tinta Industrial 5L", "Químicos", "Tintas", "L", "5.2", 18000),
    ("Resina Epóxi 1kg", "Químicos", "Resinas", "KG", "1.0", 9500),
    ("Papel A4 500 folhas", "Papel e Celulose", "Papel", "PCT", "2.5", 3200),
    ("Embalagem Plástica 100un", "Embalagens", "Plástico", "PCT", "1.8", 8500),
    ("Chapa de Aço 1m²", "Metalúrgica", "Chapas", "M2", "7.8", 14500),
    ("Tubo PVC 50mm 6m", "Plásticos", "Tubos", "UN", "3.2", 6800),
    ("Fertilizante NPK 50kg", "Agrícola", "Fertilizantes", "SC", "50.0", 22000),
    ("Semente Milho Híbrido", "Agrícola", "Sementes", "SC", "20.0", 38000),
    ("Madeira Pinus 3m", "Madeira", "Madeira Serrada", "M3", "45.0", 12000),
    ("Rolamento SKF 6205", "Industrial", "Rolamentos", "UN", "0.3", 8500),
    ("Switch Gigabit 24 portas", "Tecnologia", "Rede", "UN", "2.8", 280000),
    ("Minério Ferro ton", "Mineração", "Minério", "TON", "1000.0", 58000),
    ("Compressor Ar 10HP", "Industrial", "Compressores", "UN", "180.0", 850000),
    ("LED Strip 5m RGB", "Eletrônicos", "Iluminação", "UN", "0.4", 12500),
    ("Transformador 220V", "Eletrônicos", "Transformadores", "UN", "4.5", 34000),
    ("Bateria Lítio 12V 100Ah", "Eletrônicos", "Baterias", "UN", "12.5", 185000),
)
_PRODUCT_VARIANTS = (
    "",
    " Pro",
    " Plus",
    " Max",
    " Eco",
    " Premium",
    " Lite",
    " Compact",
    " Ultra",
    " Flex",
)

# name, annual rate range in tenths of a percent
_LENDERS = (
    ("Banco Nacional", 110, 125),
    ("Banco Comercial", 108, 122),
    ("Financeira Brasil", 130, 145),
    ("Banco Industrial", 105, 118),
    ("BNDES", 75, 90),
    ("Banco Regional", 120, 135),
    ("Cooperativa Crédito", 95, 115),
    ("Banco Desenvolvimento", 92, 105),
    ("Fintech Capital", 145, 165),
)
_LOAN_PURPOSES = (
    "Capital de Giro",
    "Aquisição de Equipamentos",
    "Expansão",
    "Obras e Infraestrutura",
    "Inovação Tecnológica",
    "Importação",
    "Modernização",
    "Estoque",
    "Aquisição Veículos",
    "Marketing e Vendas",
    "Tecnologia",
    "Expansão Nacional",
    "Pesquisa e Desenvolvimento",
    "Logística",
    "Automação Industrial",
    "Emergencial",
    "Novas Unidades",
    "Importação Equipamentos",
    "Reestruturação",
    "Diversificação",
    "Sustentabilidade",
    "E-commerce",
    "Treinamento",
    "Certificações",
    "Consultoria",
    "Infraestrutura TI",
    "Frota",
    "Marketing Digital",
)
_LOAN_TERMS = (12, 15, 18, 20, 24, 27, 30, 36, 40, 42, 48, 54, 60, 72, 84, 96, 120)

_PAYMENT_TYPES = ("BOLETO", "TRANSFERENCIA", "CARTAO_CREDITO", "PIX")
_BOLETO, _TRANSFER, _CARD, _PIX = range(4)
_PAYMENT_TYPE_P = (0.40, 0.20, 0.17, 0.23)
# Terms (days) per payment type, padded to a common width with zero probability.
_TERM_DAYS = np.array(
    [[15, 30, 45, 60, 90], [15, 30, 45, 0, 0], [15, 30, 45, 0, 0], [7, 0, 0, 0, 0]]
)
_TERM_P = np.array(
    [
        [0.10, 0.35, 0.20, 0.20, 0.15],
        [0.30, 0.35, 0.35, 0.0, 0.0],
        [0.30, 0.40, 0.30, 0.0, 0.0],
        [1.0, 0.0, 0.0, 0.0, 0.0],
    ]
)
_ORDER_STATUS = ("ENTREGUE", "EM_TRANSITO", "PENDENTE", "CANCELADO")
_DELIVERED, _IN_TRANSIT, _PENDING, _CANCELLED = range(4)
_PAYMENT_STATUS = ("PAGO", "PENDENTE", "AGENDADO", "CANCELADO")
_PAID, _PAY_PENDING, _SCHEDULED, _PAY_CANCELLED = range(4)
_ORDER_USERS = ("matheus.silva", "ana.ferreira", "rafael.costa", "juliana.rocha")
_ORDER_USER_P = (0.85, 0.05, 0.05, 0.05)
_APPROVERS = ("celso.oliveira", "marcos.santos")
_ORDER_NOTES = (
    "Pedido urgente",
    "Frete incluso",
    "Desconto 5%",
    "Pedido recorrente",
    "Grande volume",
    "Pagamento à vista",
    "Pagamento antecipado",
)
_ITEM_NOTES = (
    "Volume alto",
    "Desconto negociado",
    "Grande quantidade",
    "Pagamento à vista",
    "Entrega parcial",
)
_ITEMS_PER_ORDER_P = (0.66, 0.30, 0.04)
_UNPAID_TAIL = 0.2  # the newest orders have no payment yet, as in the real export

# Brazilian national holidays with a fixed date, plus the movable ones of 2024-2026.
_FIXED_HOLIDAYS = ("01-01", "04-21", "05-01", "09-07", "10-12", "11-02", "11-15", "11-20", "12-25")
_MOVABLE_HOLIDAYS = (
    "2024-02-12", "2024-02-13", "2024-03-29", "2024-05-30",
    "2025-03-03", "2025-03-04", "2025-04-18", "2025-06-19",
    "2026-02-16", "2026-02-17", "2026-04-03", "2026-06-04",
)  # fmt: skip

_FORBIDDEN = frozenset(b',"\r\n\x00')


# ---------------------------------------------------------------------------------------------
# Byte-matrix rendering
# ---------------------------------------------------------------------------------------------
# A field is a uint8 matrix of shape (n, width) or (1, width) (broadcast); NUL bytes are
# padding and disappear when a chunk is rendered. A column may be a list of such parts.

Part = np.ndarray
Column = Part | list[Part]


def _table(values: Sequence[str]) -> np.ndarray:
    """Encode strings as a NUL-padded (len(values), width) uint8 lookup table."""
    encoded = [v.encode("utf-8") for v in values]
    for raw in encoded:
        if _FORBIDDEN.intersection(raw):
            raise ValueError(f"value {raw!r} cannot be written without quoting")
    width = max([1, *(len(raw) for raw in encoded)])
    return np.array(encoded, dtype=f"S{width}").view(np.uint8).reshape(len(encoded), width)


def _lit(text: str) -> np.ndarray:
    return _table([text])


def _uint(values: np.ndarray, width: int | None = None, zero_pad: bool = False) -> np.ndarray:
    """Render non-negative integers as ASCII digits (leading zeros blanked unless zero_pad)."""
    x = np.asarray(values, dtype=np.int64)
    if width is None:
        width = len(str(int(x.max()))) if x.size else 1
    out = np.empty((x.size, width), dtype=np.uint8)
    rest = x
    for k in range(width - 1, -1, -1):
        rest, digit = np.divmod(rest, 10)
        out[:, k] = digit
    out += 48
    if not zero_pad and width > 1:
        powers = 10 ** np.arange(width - 1, 0, -1, dtype=np.int64)
        out[:, : width - 1][x[:, None] < powers] = 0
    return out


def _fixed(units: np.ndarray, decimals: int) -> list[np.ndarray]:
    """Render integers counted in 10**-decimals as fixed-point text with exact decimals."""
    x = np.asarray(units, dtype=np.int64)
    whole, frac = np.divmod(np.abs(x), 10**decimals)
    parts: list[np.ndarray] = []
    negative = x < 0
    if negative.any():
        parts.append(np.where(negative, 45, 0).astype(np.uint8)[:, None])
    parts += [_uint(whole), _lit("."), _uint(frac, decimals, zero_pad=True)]
    return parts


def _dates(days: np.ndarray) -> np.ndarray:
    """Render days since 1970-01-01 as YYYY-MM-DD through a lookup table of the range."""
    d = np.asarray(days, dtype=np.int64)
    lo = int(d.min())
    span = np.arange(lo, int(d.max()) + 1).astype("M8[D]").astype("S10")
    return span.view(np.uint8).reshape(-1, 10)[d - lo]


def _ids(prefix: str, numbers: np.ndarray, width: int) -> list[np.ndarray]:
    return [_lit(prefix), _uint(numbers, width, zero_pad=True)]


def _id_width(count: int) -> int:
    return max(3, len(str(count)))


def _render(columns: Sequence[Column], n: int) -> np.ndarray:
    """Lay the columns out in a row-major byte matrix and drop the NUL padding."""
    columns = [c if isinstance(c, list) else [c] for c in columns]
    total = sum(p.shape[1] for parts in columns for p in parts) + len(columns)
    matrix = np.zeros((n, total), dtype=np.uint8)
    pos = 0
    for i, parts in enumerate(columns):
        for part in parts:
            width = part.shape[1]
            matrix[:, pos : pos + width] = part
            pos += width
        matrix[:, pos] = 44 if i < len(columns) - 1 else 10
        pos += 1
    return matrix[matrix != 0]


class _CsvFile:
    """A CSV file of one source, written chunk by chunk."""

    def __init__(self, out_dir: Path, source: str) -> None:
        folder = out_dir / source
        folder.mkdir(parents=True, exist_ok=True)
        self.source = source
        self.rows = 0
        self._fh = open(folder / f"{source}.csv", "wb")  # noqa: SIM115 - closed in close()
        self._fh.write((",".join(HEADERS[source]) + "\n").encode("utf-8"))

    def write(self, columns: Sequence[Column], n: int) -> None:
        if len(columns) != len(HEADERS[self.source]):
            raise AssertionError(f"{self.source}: {len(columns)} columns rendered")
        if n:
            self._fh.write(memoryview(_render(columns, n)))
            self.rows += n

    def close(self) -> None:
        self._fh.close()


# ---------------------------------------------------------------------------------------------
# Random helpers
# ---------------------------------------------------------------------------------------------


def _rng(seed: int, stream: int, chunk: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, stream, chunk])


def _flatten(groups: Sequence[Sequence[str]]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Concatenate per-group option lists; return values, group offsets and group sizes."""
    values = [v for g in groups for v in g]
    sizes = np.array([len(g) for g in groups], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return values, offsets, sizes


def _pick_in_group(
    rng: np.random.Generator, group: np.ndarray, offsets: np.ndarray, sizes: np.ndarray
) -> np.ndarray:
    """Uniformly pick one option of each row's group in a flattened option list."""
    size = sizes[group]
    return offsets[group] + np.minimum((rng.random(group.size) * size).astype(np.int64), size - 1)


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


# ---------------------------------------------------------------------------------------------
# Calendar
# ---------------------------------------------------------------------------------------------


def _day(iso: str) -> int:
    return int(np.datetime64(iso, "D").astype(np.int64))


def _business_days(first: int, last: int) -> np.ndarray:
    days = np.arange(first, last + 1, dtype=np.int64)
    stamps = days.astype("M8[D]")
    month_start = stamps.astype("M8[M]")
    month = month_start.astype(np.int64) % 12 + 1
    day_of_month = (stamps - month_start.astype("M8[D]")).astype(np.int64) + 1
    fixed = np.array([int(md[:2]) * 100 + int(md[3:]) for md in _FIXED_HOLIDAYS])
    movable = np.array([_day(d) for d in _MOVABLE_HOLIDAYS], dtype=np.int64)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    keep = (weekday < 5) & ~np.isin(month * 100 + day_of_month, fixed) & ~np.isin(days, movable)
    return days[keep]


def _add_months(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Same day of month ``months`` later, clipped to the end of shorter months."""
    stamps = np.asarray(days, dtype=np.int64).astype("M8[D]")
    month = stamps.astype("M8[M]")
    day_of_month = (stamps - month.astype("M8[D]")).astype(np.int64)
    target = month + np.asarray(months, dtype=np.int64)
    month_len = ((target + 1).astype("M8[D]") - target.astype("M8[D]")).astype(np.int64)
    start = target.astype("M8[D]").astype(np.int64)
    return start + np.minimum(day_of_month, month_len - 1)


def _order_days(scale: int, seed: int) -> np.ndarray:
    if scale <= 30:
        # The real export has exactly one order a day from 2024-10-15 on.
        return _day("2024-10-15") + np.arange(scale, dtype=np.int64)
    start = _day("2024-01-01")
    n_days = min(366, max(30, scale // 4))
    days = start + np.arange(n_days, dtype=np.int64)
    weekday = (days + 3) % 7
    weight = np.where(weekday < 5, 1.0, np.where(weekday == 5, 0.5, 0.3))
    counts = _rng(seed, _S_CALENDAR).multinomial(scale, weight / weight.sum())
    return np.repeat(days, counts)


# ---------------------------------------------------------------------------------------------
# Exchange rates
# ---------------------------------------------------------------------------------------------


class _Fx:
    """Daily PTAX random walk over the business days of the order range (1e-4 BRL units)."""

    def __init__(self, seed: int, first_day: int, last_day: int) -> None:
        rng = _rng(seed, _S_FX)
        # A week of slack keeps at least one business day for degenerate tiny ranges.
        self.days = _business_days(first_day, last_day + 7)
        anchor = _PTAX_OCT_2024 if first_day >= _day("2024-10-01") else _PTAX_JAN_2024
        steps = rng.normal(0.0, _FX_DAILY_VOL, size=(self.days.size + 1, 5))
        walk = np.cumsum(steps, axis=0)
        # Row 0 is the business day before the range (needed for the first daily variation).
        self.ptax = np.rint(anchor * np.exp(walk - walk[1])).astype(np.int64)
        self.ptax = np.maximum(self.ptax, 2)
        self._rng = rng

    def row_on(self, days: np.ndarray) -> np.ndarray:
        """Row of ``ptax`` holding the last quote on or before each day."""
        return np.clip(np.searchsorted(self.days, days, side="right"), 1, self.days.size)

    def quotes(self, last_quote_day: int) -> dict[str, np.ndarray]:
        n_days = max(1, int(np.searchsorted(self.days, last_quote_day, side="right")))
        present = self._rng.random((n_days, 5)) < _FX_PRESENCE
        present[0] = True
        day_idx, cur_idx = np.nonzero(present)
        ptax = self.ptax[day_idx + 1, cur_idx]
        variation = np.empty(ptax.size, dtype=np.int64)
        for c in range(5):
            rows = np.flatnonzero(cur_idx == c)
            prev = np.empty(rows.size, dtype=np.int64)
            prev[0] = self.ptax[day_idx[rows[0]], c]
            prev[1:] = ptax[rows[:-1]]
            variation[rows] = np.rint((ptax[rows] / prev - 1.0) * 10_000).astype(np.int64)
        half = np.maximum(1, np.rint(ptax * _FX_HALF_SPREAD[cur_idx]).astype(np.int64))
        return {
            "day": self.days[day_idx],
            "currency": np.array(_FX_CURRENCIES)[cur_idx],
            "ptax": ptax,
            "buy": ptax - half,
            "sell": ptax + half,
            "variation": variation,
        }


def _write_cambio(out: Path, fx: _Fx, last_quote_day: int) -> int:
    q = fx.quotes(last_quote_day)
    f = _CsvFile(out, "cambio")
    try:
        f.write(
            [
                _dates(q["day"]),
                _table(_CURRENCIES)[q["currency"]],
                _fixed(q["buy"], 4),
                _fixed(q["sell"], 4),
                _fixed(q["ptax"], 4),
                _fixed(q["variation"], 2),
                _lit("SISBACEN"),
                _lit("COMERCIAL"),
                _lit("16:30:00"),
            ],
            q["day"].size,
        )
    finally:
        f.close()
    return f.rows


# ---------------------------------------------------------------------------------------------
# Master data
# ---------------------------------------------------------------------------------------------


def _concat(parts: Sequence[Part], n: int) -> np.ndarray:
    return np.concatenate([np.broadcast_to(p, (n, p.shape[1])) for p in parts], axis=1)


def _write_fornecedores(out: Path, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Write suppliers; return each supplier's country and currency indexes and the row count."""
    rng = _rng(seed, _S_SUPPLIERS)
    # A fixed share of Brazilian suppliers (shuffled) keeps small files close to the real mix.
    weights = np.array([c[8] for c in _COUNTRIES[1:]])
    country = 1 + rng.choice(len(_COUNTRIES) - 1, size=n, p=weights / weights.sum())
    country[: round(_COUNTRIES[0][8] * n)] = 0
    country = rng.permutation(country)
    brazilian = country == 0
    currency = np.array([c[1] for c in _COUNTRIES])[country]
    idx = np.arange(n, dtype=np.int64)

    stems = _BR_STEMS + _FOREIGN_STEMS
    stem = np.where(
        brazilian,
        rng.integers(0, len(_BR_STEMS), n),
        len(_BR_STEMS) + rng.integers(0, len(_FOREIGN_STEMS), n),
    )
    suffixes, suf_off, suf_size = _flatten(
        [_BR_SUFFIXES if i == 0 else c[7] for i, c in enumerate(_COUNTRIES)]
    )
    suffix = _pick_in_group(rng, country, suf_off, suf_size)
    # Real foreign names mix "USA Tech Imports LLC" and "AsianElectronics Ltd".
    gap = np.where(~brazilian & (rng.random(n) < 0.5), 32, 0).astype(np.uint8)[:, None]
    words = _table([c[6] for c in _COUNTRIES])[country]
    name = [words, gap, _table([s[0] for s in stems])[stem], _lit(" "), _table(suffixes)[suffix]]

    # CNPJ digits come from an affine bijection so they never collide across suppliers.
    multiplier = int(rng.choice([7919, 104729, 1299709, 15485863, 32452843]))
    base = (multiplier * idx + int(rng.integers(0, 10**8))) % 10**8
    digits = _uint(base, 8, zero_pad=True)
    cnpj_br = _concat(
        [
            digits[:, :2],
            _lit("."),
            digits[:, 2:5],
            _lit("."),
            digits[:, 5:8],
            _lit("/0001-"),
            _uint(rng.integers(0, 100, n), 2, zero_pad=True),
        ],
        n,
    )
    no_cnpj = np.zeros((1, cnpj_br.shape[1]), dtype=np.uint8)
    no_cnpj[0, :2] = 45
    cnpj = np.where(brazilian[:, None], cnpj_br, no_cnpj)

    users, usr_off, usr_size = _flatten([_BR_EMAIL_USERS, _FOREIGN_EMAIL_USERS])
    user = _pick_in_group(rng, (~brazilian).astype(np.int64), usr_off, usr_size)
    tlds, tld_off, tld_size = _flatten([c[5] for c in _COUNTRIES])
    tld = _pick_in_group(rng, country, tld_off, tld_size)
    # Beyond the 30 suppliers of the real export, a number keeps e-mail domains unique.
    serial = _uint(idx + 1)
    serial[idx < 30] = 0
    email = [
        _table(users)[user],
        _lit("@"),
        _table([_slug(c[6]) for c in _COUNTRIES])[country],
        _table([_slug(s[0]) for s in stems])[stem],
        serial,
        _table(tlds)[tld],
    ]

    areas, area_off, area_size = _flatten([c[3] for c in _COUNTRIES])
    area = _pick_in_group(rng, country, area_off, area_size)
    short_group = np.array([c[4] == 3 for c in _COUNTRIES])[country]
    group1 = np.where(short_group, rng.integers(100, 1000, n), rng.integers(1000, 10000, n))
    phone = [
        _lit("+"),
        _table([c[2] for c in _COUNTRIES])[country],
        _lit("-"),
        _table(areas)[area],
        _lit("-"),
        _uint(group1, 4),
        _lit("-"),
        _uint(rng.integers(0, 10000, n), 4, zero_pad=True),
    ]

    terms, term_off, term_size = _flatten([_BR_TERMS, _FOREIGN_TERMS])
    term = _pick_in_group(rng, (~brazilian).astype(np.int64), term_off, term_size)
    rating = rng.choice(len(_RATINGS), size=n, p=_RATING_P)
    years = np.where(brazilian, rng.integers(1, 11, n), rng.integers(2, 16, n))

    f = _CsvFile(out, "fornecedores")
    try:
        f.write(
            [
                _ids("FORN", idx + 1, _id_width(n)),
                name,
                cnpj,
                _table([c[0] for c in _COUNTRIES])[country],
                _table([s[1] for s in stems])[stem],
                _table(_RATINGS)[rating],
                _uint(years),
                _table(terms)[term],
                _table(_CURRENCIES)[currency],
                email,
                phone,
            ],
            n,
        )
    finally:
        f.close()
    return country, currency, f.rows


def _write_produtos(
    out: Path,
    n: int,
    seed: int,
    sup_country: np.ndarray,
    sup_currency: np.ndarray,
    start_ptax: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Write products; return their price (cents) and origin country index, and the row count."""
    rng = _rng(seed, _S_PRODUCTS)
    idx = np.arange(n, dtype=np.int64)
    catalog = len(_PRODUCTS)
    # The first products mirror the real catalogue; the rest are variants of it.
    template = np.where(idx < catalog, idx % catalog, rng.integers(0, catalog, n))
    variant = np.where(idx < catalog, 0, rng.integers(1, len(_PRODUCT_VARIANTS), n))
    extended = idx >= catalog
    serial = _uint(idx + 1)
    serial[~extended] = 0
    name = [
        _table([p[0] for p in _PRODUCTS])[template],
        _table(_PRODUCT_VARIANTS)[variant],
        _table(["", " Ref "])[extended.astype(np.int64)],
        serial,
    ]

    supplier = rng.integers(0, sup_currency.size, n)
    currency = sup_currency[supplier]
    country = sup_country[supplier]
    base = np.array([p[5] for p in _PRODUCTS], dtype=np.int64)[template]
    raw = base * np.where(extended, rng.uniform(0.8, 1.25, n), 1.0)
    # Catalogue prices are whole reais except for cheap parts (e.g. 0.85).
    price = np.where(base >= 1000, np.rint(raw / 100) * 100, np.rint(raw)).astype(np.int64)
    price = np.maximum(price, 1)
    rate = np.concatenate([[10_000.0], start_ptax])[currency] * rng.uniform(0.95, 1.05, n)
    origin = np.where(currency == _BRL, price, np.rint(price * 10_000 / rate)).astype(np.int64)
    origin = np.maximum(origin, 1)

    stock = 8000 / np.sqrt(price / 100) * rng.uniform(0.5, 1.5, n)
    stock = np.maximum(10, np.rint(stock / 10) * 10).astype(np.int64)
    minimum = np.maximum(5, np.rint(stock / 15) * 5).astype(np.int64)
    lead = np.where(
        currency == _BRL, 10 + 5 * rng.integers(0, 5, n), 40 + 5 * rng.integers(0, 8, n)
    )

    f = _CsvFile(out, "produtos")
    try:
        f.write(
            [
                _ids("PROD", idx + 1, _id_width(n)),
                name,
                _table([p[1] for p in _PRODUCTS])[template],
                _table([p[2] for p in _PRODUCTS])[template],
                _ids("FORN", supplier + 1, _id_width(sup_currency.size)),
                _fixed(price, 2),
                _table(_CURRENCIES)[currency],
                _fixed(origin, 2),
                _table([p[3] for p in _PRODUCTS])[template],
                _table([p[4] for p in _PRODUCTS])[template],
                _uint(stock),
                _uint(minimum),
                _uint(lead),
                _table([c[0] for c in _COUNTRIES])[country],
            ],
            n,
        )
    finally:
        f.close()
    return price, country, f.rows


def _month_index(day: int) -> int:
    return int(np.datetime64(day, "D").astype("M8[M]").astype(np.int64))


def _month_start(months: np.ndarray) -> np.ndarray:
    return np.asarray(months, dtype=np.int64).astype("M8[M]").astype("M8[D]").astype(np.int64)


def _write_emprestimos(out: Path, n: int, seed: int, last_order_day: int) -> int:
    rng = _rng(seed, _S_LOANS)
    # The real snapshot is taken in the month of the last order (November 2024).
    ref_month = _month_index(last_order_day)
    contract_month = rng.integers(_month_index(_day("2022-05-01")), ref_month, n)
    day_of_month = rng.integers(1, 29, n)
    contract_day = _month_start(contract_month) + day_of_month - 1
    paid = np.maximum(1, ref_month - contract_month)
    next_month = np.where(contract_month == ref_month - 1, ref_month + 1, ref_month)
    next_due = _month_start(next_month) + day_of_month - 1

    lender = rng.integers(0, len(_LENDERS), n)
    low = np.array([x[1] for x in _LENDERS])[lender]
    high = np.array([x[2] for x in _LENDERS])[lender]
    rate_tenths = rng.integers(low, high + 1)
    term = np.array(_LOAN_TERMS)[rng.integers(0, len(_LOAN_TERMS), n)]
    term = np.where(term <= paid, paid + 6 * rng.integers(1, 5, n), term)
    principal = np.clip(rng.lognormal(np.log(300_000), 0.7, n), 50_000, 2_500_000)
    principal = (np.rint(principal / 5000) * 500_000).astype(np.int64)  # cents
    monthly = rate_tenths / 1000 / 12
    installment = np.rint(principal * monthly / (1 - (1 + monthly) ** -term)).astype(np.int64)
    balance = np.rint(principal * (1 - paid / term)).astype(np.int64)
    purpose = rng.integers(0, len(_LOAN_PURPOSES), n)

    f = _CsvFile(out, "emprestimos")
    try:
        f.write(
            [
                _ids("EMP", np.arange(n) + 1, _id_width(n)),
                _dates(contract_day),
                _table([x[0] for x in _LENDERS])[lender],
                _fixed(principal, 2),
                _fixed(rate_tenths, 1),
                _uint(term),
                _fixed(installment, 2),
                _fixed(balance, 2),
                _lit("ATIVO"),
                _table(_LOAN_PURPOSES)[purpose],
                _dates(next_due),
                _uint(paid),
                _lit("celso.oliveira"),
            ],
            n,
        )
    finally:
        f.close()
    return f.rows


# ---------------------------------------------------------------------------------------------
# Transactions
# ---------------------------------------------------------------------------------------------


def _plan_orders(
    seed: int, days: np.ndarray, sup_country: np.ndarray, sup_currency: np.ndarray
) -> dict[str, np.ndarray]:
    """Draw the order-level attributes that fix the shape of items and payments."""
    rng = _rng(seed, _S_ORDERS)
    n = days.size
    last_day = int(days[-1])
    # Skewed towards the first suppliers, as the real orders concentrate on FORN001-FORN010.
    supplier = np.minimum(
        (rng.random(n) ** 2 * sup_currency.size).astype(np.int64), sup_currency.size - 1
    )
    foreign = sup_currency[supplier] != _BRL
    ptype = rng.choice(len(_PAYMENT_TYPES), size=n, p=_PAYMENT_TYPE_P).astype(np.int8)
    cum = np.cumsum(_TERM_P, axis=1)[ptype]
    choice = np.minimum((rng.random(n)[:, None] > cum).sum(axis=1), _TERM_DAYS.shape[1] - 1)
    term = _TERM_DAYS[ptype, choice]
    # Imports travel by sea: long terms dominate for foreign suppliers.
    long_haul = foreign & (ptype != _PIX) & (rng.random(n) < 0.7)
    term = np.where(long_haul, np.where(rng.random(n) < 0.3, 60, 90), term)
    cancelled = rng.random(n) < 1 / 30
    term = np.where(cancelled, 0, term).astype(np.int16)
    due = days + np.where(cancelled, 15, term)

    u = rng.random(n)
    status = np.where(
        due < last_day,
        np.where(u < 0.9, _DELIVERED, _IN_TRANSIT),
        np.where(u < 0.3, _DELIVERED, np.where(u < 0.65, _IN_TRANSIT, _PENDING)),
    )
    status = np.where(cancelled, _CANCELLED, status).astype(np.int8)
    user = rng.choice(len(_ORDER_USERS), size=n, p=_ORDER_USER_P).astype(np.int8)

    # Notes: 0 empty, generic ones, cancellation, generic import, import per country.
    note = np.where(rng.random(n) < 0.18, 1 + rng.integers(0, len(_ORDER_NOTES), n), 0)
    cancel_note = 1 + len(_ORDER_NOTES)
    country_note = np.where(rng.random(n) < 0.3, 0, sup_country[supplier]) + cancel_note + 1
    note = np.where(foreign & (rng.random(n) < 0.35), country_note, note)
    note = np.where(cancelled & (rng.random(n) < 0.6), cancel_note, note).astype(np.int8)

    items = (rng.choice(3, size=n, p=_ITEMS_PER_ORDER_P) + 1).astype(np.int8)
    installments = np.where(
        ptype == _CARD,
        2 + (rng.random(n) < 0.5),
        np.where((ptype == _BOLETO) & (rng.random(n) < 0.05), 2, 1),
    )
    installments = np.where(cancelled, 1, installments)
    with_payment = np.arange(n) < n - round(_UNPAID_TAIL * n)
    installments = np.where(with_payment, installments, 0).astype(np.int8)
    return {
        "day": days,
        "supplier": supplier.astype(np.int32),
        "ptype": ptype,
        "term": term,
        "due": due,
        "status": status,
        "user": user,
        "note": note,
        "items": items,
        "installments": installments,
    }


def _round_quantity(q: np.ndarray) -> np.ndarray:
    """Round to the lot sizes buyers actually use (units, fives, fifties, five hundreds)."""
    lot = np.where(q < 20, 1, np.where(q < 200, 5, np.where(q < 1000, 50, 500)))
    return np.clip(np.rint(q / lot) * lot, 1, 50_000).astype(np.int64)


def _write_transactions(
    out: Path,
    seed: int,
    plan: dict[str, np.ndarray],
    fx: _Fx,
    sup_country: np.ndarray,
    sup_currency: np.ndarray,
    prod_price: np.ndarray,
    prod_country: np.ndarray,
) -> tuple[int, int, int]:
    """Write pedidos, itens_pedido and pagamentos together, chunk by chunk of orders."""
    n = plan["day"].size
    last_day = int(plan["day"][-1])
    n_prod = prod_price.size
    item_start = np.cumsum(plan["items"], dtype=np.int64) - plan["items"]
    pay_start = np.cumsum(plan["installments"], dtype=np.int64) - plan["installments"]
    ped_w = _id_width(n)
    item_w = _id_width(int(item_start[-1] + plan["items"][-1]))
    pay_w = _id_width(int(pay_start[-1] + plan["installments"][-1]))
    forn_w = _id_width(sup_currency.size)
    prod_w = _id_width(n_prod)

    order_status = _table(_ORDER_STATUS)
    ptypes = _table(_PAYMENT_TYPES)
    currencies = _table(_CURRENCIES)
    order_notes = _table(
        ["", *_ORDER_NOTES, "Cancelado pelo fornecedor", "Importação"]
        + [f"Importação {c[9]}" for c in _COUNTRIES[1:]]
    )
    item_notes = _table(
        ["", *_ITEM_NOTES, "Pedido cancelado"] + [f"Importação {c[10]}" for c in _COUNTRIES[1:]]
    )
    cancelled_item_note = 1 + len(_ITEM_NOTES)
    users = _table(_ORDER_USERS)
    pay_status = _table(_PAYMENT_STATUS)
    approvers = _table(_APPROVERS)

    pedidos = _CsvFile(out, "pedidos")
    itens = _CsvFile(out, "itens_pedido")
    pagamentos = _CsvFile(out, "pagamentos")
    try:
        for chunk, lo in enumerate(range(0, n, _CHUNK_ORDERS)):
            hi = min(n, lo + _CHUNK_ORDERS)
            m = hi - lo
            rng = _rng(seed, _S_CHUNK, chunk)
            day = plan["day"][lo:hi]
            supplier = plan["supplier"][lo:hi].astype(np.int64)
            status = plan["status"][lo:hi]
            ptype = plan["ptype"][lo:hi]
            order_no = np.arange(lo, hi, dtype=np.int64) + 1

            # Items: 1-3 distinct products per order.
            count = plan["items"][lo:hi].astype(np.int64)
            n_items = int(count.sum())
            owner = np.repeat(np.arange(m), count)
            first = np.cumsum(count) - count
            position = np.arange(n_items) - first[owner]
            anchor = (rng.random(m) ** 1.5 * n_prod).astype(np.int64)
            stride = rng.integers(1, (n_prod - 1) // 2 + 1, m)  # 2 * stride < n_prod
            product = (anchor[owner] + position * stride[owner]) % n_prod
            price = prod_price[product]
            quantity = _round_quantity(rng.lognormal(np.log(9000), 0.8, n_items) / (price / 100))
            discount = np.where(rng.random(n_items) < 0.35, 0, rng.integers(1, 11, n_items)) * 10
            value = (quantity * price * (1000 - discount) + 500) // 1000
            note = np.where(rng.random(n_items) < 0.15, 1 + rng.integers(0, 5, n_items), 0)
            imported = prod_country[product] != 0
            note = np.where(
                imported & (rng.random(n_items) < 0.25),
                cancelled_item_note + prod_country[product],
                note,
            )
            note = np.where(status[owner] == _CANCELLED, cancelled_item_note, note)
            itens.write(
                [
                    _ids("ITEM", item_start[lo] + np.arange(n_items) + 1, item_w),
                    _ids("PED", order_no[owner], ped_w),
                    _ids("PROD", product + 1, prod_w),
                    _uint(quantity),
                    _fixed(price, 2),
                    _fixed(discount, 1),
                    _fixed(value, 2),
                    _dates(day[owner]),
                    item_notes[note],
                ],
                n_items,
            )

            # Order totals disagree with their items on most orders (freight, rounding), and
            # the real totals then land on quarters of a real.
            items_sum = np.add.reduceat(value, first)
            adjusted = np.rint(items_sum * (1 + rng.uniform(-0.04, 0.03, m)) / 25) * 25
            adjusted = adjusted.astype(np.int64)
            adjusted = np.where(adjusted == items_sum, adjusted + 25, adjusted)
            total = np.maximum(1, np.where(rng.random(m) < 0.7, adjusted, items_sum))
            pedidos.write(
                [
                    _ids("PED", order_no, ped_w),
                    _dates(day),
                    _ids("FORN", supplier + 1, forn_w),
                    _fixed(total, 2),
                    order_status[status],
                    ptypes[ptype],
                    _uint(plan["term"][lo:hi]),
                    _dates(plan["due"][lo:hi]),
                    users[plan["user"][lo:hi]],
                    order_notes[plan["note"][lo:hi]],
                ],
                m,
            )

            # Payments: one row per installment, each repeating the order total (real quirk).
            currency = sup_currency[supplier]
            quote = fx.ptax[fx.row_on(day), np.maximum(currency - 1, 0)]
            quote = quote * (1 + rng.normal(0.0, 0.004, m))
            rate = np.where(currency == _JPY, np.rint(quote), np.rint(quote / 100) * 100)
            rate = np.where(currency == _BRL, 10_000, np.maximum(rate, 1)).astype(np.int64)
            in_origin = (total * 20_000 + rate) // (2 * rate)
            approver = ((ptype == _CARD) | (currency != _BRL)).astype(np.int64)

            parts = plan["installments"][lo:hi].astype(np.int64)
            n_pay = int(parts.sum())
            if n_pay:
                payer = np.repeat(np.arange(m), parts)
                nth = np.arange(n_pay) - (np.cumsum(parts) - parts)[payer] + 1
                cancelled = status[payer] == _CANCELLED
                due = np.where(
                    cancelled, day[payer], _add_months(plan["due"][lo:hi][payer], nth - 1)
                )
                u = rng.random(n_pay)
                pstat = np.where(
                    due <= last_day,
                    np.where(u < 0.8, _PAID, _PAY_PENDING),
                    np.where((due <= last_day + 30) & (nth == 1), _PAY_PENDING, _SCHEDULED),
                )
                delivered_first = (status[payer] == _DELIVERED) & (nth == 1)
                pstat = np.where(delivered_first & (u < 0.9), _PAID, pstat)
                pstat = np.where(cancelled, _PAY_CANCELLED, pstat)
                due_dates = _dates(due)
                pagamentos.write(
                    [
                        _ids("PAG", pay_start[lo] + np.arange(n_pay) + 1, pay_w),
                        _ids("PED", order_no[payer], ped_w),
                        _ids("FORN", supplier[payer] + 1, forn_w),
                        due_dates,
                        _fixed(total[payer], 2),
                        ptypes[ptype[payer]],
                        pay_status[pstat],
                        _fixed(rate[payer], 4),
                        currencies[currency[payer]],
                        _fixed(in_origin[payer], 2),
                        _uint(parts[payer]),
                        _uint(nth),
                        due_dates,
                        approvers[approver[payer]],
                    ],
                    n_pay,
                )
    finally:
        pedidos.close()
        itens.close()
        pagamentos.close()
    return pedidos.rows, itens.rows, pagamentos.rows


# ---------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------


def generate(
    out_dir: str | os.PathLike,
    scale: int = 30,
    seed: int = 42,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Write <out_dir>/<source>/<source>.csv for each source; return rows written per source
    (header excluded).

    ``scale`` is the number of orders (pedidos); at 30 the files have the shape of the real
    exports. The same ``(scale, seed)`` always produces byte-identical files.
    """
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    scale, seed = int(scale), int(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, int] = {}

    def done(source: str, count: int) -> None:
        rows[source] = count
        if progress is not None:
            progress(f"{source}: {count} rows")

    days = _order_days(scale, seed)
    first_day, last_day = int(days[0]), int(days[-1])
    fx = _Fx(seed, first_day, last_day)
    done("cambio", _write_cambio(out, fx, last_day - _QUOTES_STOP_DAYS))
    done("emprestimos", _write_emprestimos(out, max(30, scale // 20_000), seed, last_day))
    sup_country, sup_currency, n_sup = _write_fornecedores(out, max(30, scale // 1000), seed)
    done("fornecedores", n_sup)
    prod_price, prod_country, n_prod = _write_produtos(
        out, max(30, scale // 300), seed, sup_country, sup_currency, fx.ptax[1].astype(np.float64)
    )
    done("produtos", n_prod)
    plan = _plan_orders(seed, days, sup_country, sup_currency)
    n_ped, n_items, n_pay = _write_transactions(
        out, seed, plan, fx, sup_country, sup_currency, prod_price, prod_country
    )
    done("pedidos", n_ped)
    done("itens_pedido", n_items)
    done("pagamentos", n_pay)
    return {source: rows[source] for source in SOURCES}
