"""What the readers and the writer say about a file or a row reads in the reader's language on
the screen: each wording the import uses has its Spanish, and its English stays as written."""

from __future__ import annotations

import io

import pytest
from flask_babel import force_locale
from openpyxl import Workbook

from tracker.imports import ImportFileError, open_records
from tracker.models import ImportFormat
from tracker.services import import_messages
from tracker.services.import_messages import file_problem, translate


def _refusal(fmt: ImportFormat, data: bytes, name: str) -> str:
    with pytest.raises(ImportFileError) as refused:
        open_records(fmt, data, name)
    return str(refused.value)


def _sheet(header: list[str]) -> bytes:
    book = Workbook()
    book.active.append(header)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(("english", "spanish"), [
    ("the cell is empty", "la celda está vacía"),
    ("'31/02/x' is not a date", "“31/02/x” no es una fecha"),
    ("unknown type 'Verdict' (expected recommendation or concern)",
     "tipo desconocido “Verdict” (se esperaba recomendación o preocupación)"),
    ("unknown UPR position 'Maybe'", "posición en el EPU “Maybe” desconocida"),
    ("row 12: unknown response 'Perhaps'", "fila 12: respuesta desconocida “Perhaps”"),
    ("row 3: control characters removed from Text, From",
     "fila 3: se quitaron caracteres de control de Text, From"),
    ("not an object", "el elemento no es un objeto con las claves de una exportación del UHRI"),
    ("unknown State under review 'Atlantis'", "Estado examinado “Atlantis” desconocido"),
    ("paragraph '1234567890123456789012345678901234567890…' is longer than 32 characters",
     "paragraph “1234567890123456789012345678901234567890…” tiene más de 32 caracteres"),
    ("unknown mechanism 'Nowhere Body'", "mecanismo desconocido “Nowhere Body”"),
    ("recommending State 'Atlantis' not recognised",
     "Estado recomendante “Atlantis” no reconocido"),
    ("State concerned 'Atlantis' not recognised", "Estado concernido “Atlantis” no reconocido"),
    ("refused with row 4: unknown mechanism 'X'",
     "rechazada con la fila 4: mecanismo desconocido “X”"),
    ("the file holds no rows to import", "el archivo no contiene filas que importar"),
    ("the uploaded file is no longer stored", "el archivo subido ya no está guardado"),
    ("vocabularies themes, sdg are missing: run `tracker seed` first",
     "faltan los vocabularios themes, sdg: un administrador debe ejecutar antes “tracker seed”"),
    (import_messages.UNKNOWN_FORMAT, "el formato no se deduce del nombre del archivo (.xlsx, "
     ".json, .csv o .csv.gz): elíjalo en el formulario"),
    (import_messages.UNEXPECTED.format(error="KeyError"), "un error inesperado (KeyError) "
     "detuvo el trabajo; los detalles están en el registro del proceso de fondo"),
    (import_messages.GAVE_UP.format(times=3),
     "el trabajo se detuvo 3 veces sin terminar; suba el archivo de nuevo"),
    (import_messages.UNREADABLE.format(detail="field larger than field limit (131072)"),
     "el archivo no se puede leer en el formato elegido (field larger than field limit "
     "(131072))"),
    ("a wording not known yet", "a wording not known yet"),
])
def test_each_reason_of_a_row_reads_in_spanish(app, english, spanish):
    with app.test_request_context(), force_locale("es"):
        assert translate(english) == spanish


@pytest.mark.parametrize(("english", "shown"), [
    ("unknown type 'Verdict' (expected recommendation or concern)",
     "unknown type “Verdict” (expected recommendation or concern)"),
    ("row 12: unknown response 'Perhaps'", "row 12: unknown response “Perhaps”"),
    ("the cell is empty", "the cell is empty"),
])
def test_an_english_reader_reads_the_same_reason_with_its_quotes(app, english, shown):
    with app.test_request_context(), force_locale("en"):
        assert translate(english) == shown


@pytest.mark.parametrize(("fmt", "data", "name", "spanish"), [
    (ImportFormat.UHRI_XLSX, b"not a workbook", "libro.xlsx",
     "libro.xlsx: no es un libro de Excel (.xlsx) como los que exporta el UHRI ("),
    (ImportFormat.UHRI_XLSX, _sheet(["Text", "Symbol"]), "otro.xlsx",
     "otro.xlsx: faltan las columnas Reccomending Body, Document Symbol; una exportación del "
     "UHRI tiene las columnas Text, "),
    (ImportFormat.UHRI_JSON, b"", "vacio.json", "vacio.json: el archivo está vacío"),
    (ImportFormat.UHRI_JSON, b"{not json", "roto.json",
     "roto.json: no es una exportación JSON del UHRI (JSON no válido: "),
    (ImportFormat.UHRI_JSON, b"[1, 2]\n\xff", "bytes.json",
     "bytes.json: no es un archivo de texto en UTF-8: la línea 2 contiene el byte 0xff"),
    (ImportFormat.UHRI_JSON, b'"text"', "texto.json",
     "texto.json: una exportación JSON del UHRI es una lista de objetos con las claves "
     "AnnotationId, "),
    (ImportFormat.UHRI_JSON, b'[{"Text": "x"}]', "claves.json",
     "claves.json: a los objetos les faltan las claves Text, Body, Symbol; una exportación "
     "JSON del UHRI tiene las claves "),
    (ImportFormat.CSV, b"name,value\nx,1\n", "otra.csv",
     "otra.csv: faltan las columnas mechanism, document_symbol, text; el CSV del sistema "
     "tiene las columnas "),
    (ImportFormat.CSV, b"mechanism,document_symbol,text\nA,B,\xf1\n", "latin.csv",
     "latin.csv: no es un archivo de texto en UTF-8: la fila 2 contiene el byte 0xf1"),
    (ImportFormat.UPR_INFO_CSV, b"To,Text\nHonduras,x\n", "upr.csv",
     "upr.csv: faltan las columnas From, Response, Issue, Session; una exportación de UPR "
     "Info tiene las columnas "),
    (ImportFormat.UPR_INFO_CSV, b"To,Text,From,Response,Issue,Session\n\xff\n", "bytes.csv",
     "bytes.csv: no es un archivo CSV en UTF-8: la fila 2 contiene el byte 0xff"),
    (ImportFormat.UPR_INFO_CSV, b"\x1f\x8b not gzip", "roto.csv.gz",
     "roto.csv.gz: no es un archivo CSV en UTF-8, simple o comprimido con gzip ("),
])
def test_each_refusal_of_a_whole_file_names_it_in_spanish(app, fmt, data, name, spanish):
    message = _refusal(fmt, data, name)

    with app.test_request_context(), force_locale("es"):
        assert file_problem(message, name).startswith(spanish), message
    with app.test_request_context(), force_locale("en"):
        assert file_problem(message, name).startswith(f"{name}: ")


def test_the_size_limit_is_said_in_the_reader_s_number_format(app):
    message = "big.csv: " + import_messages.TOO_LARGE.format(limit=20 * 1024 * 1024)

    with app.test_request_context(), force_locale("es"):
        assert file_problem(message, "big.csv") == (
            "big.csv: el archivo supera el límite de las importaciones, 20 MB")
    with app.test_request_context(), force_locale("en"):
        assert file_problem(message, "big.csv") == (
            "big.csv: the file is larger than the limit for imports, 20 MB")
        assert file_problem("the file is empty", None) == "the file is empty"
