"""The invented part of the demo: accounts, assignments, reports, assessments, office actions.

Everything here is plausible but fictitious and tied to accounts marked
``is_demo``. Each item is created only when missing (users by e-mail, assignments
by recommendation and institution, reports by institution and title, office
actions by title), so a second load changes nothing. Due dates are set relative
to the day of the load so that some are overdue and some due soon.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from tracker.extensions import db
from tracker.models import (
    AssessmentSource,
    Assignment,
    AssignmentRole,
    Evidence,
    EvidenceKind,
    ImplementationStatus,
    Institution,
    MeasureKind,
    OfficeAction,
    OfficeActionKind,
    ProgressReport,
    Recommendation,
    ReportState,
    ReportTransition,
    ReportVisibility,
    Role,
    StatusAssessment,
    StoredFile,
    Term,
    User,
    Vocabulary,
)
from tracker.security import hash_password
from tracker.services.demo import DEMO_LOGINS, DemoReport, set_current_status, since

CEDAW = "CEDAW/C/HND/CO/7-8"
CCPR = "CCPR/C/HND/CO/2"
CAT = "CAT/C/HND/CO/2"
IACHR = "OEA/Ser.L/V/II. Doc. 42/15"
UPR = "A/HRC/16/10"

NAMES = {
    "admin@demo.seguimiento.test": "Administración (demo)",
    "revisor@demo.seguimiento.test": "Lucía Martínez (revisora, demo)",
    "enlace.semujer@demo.seguimiento.test": "Karla Mejía (enlace SEMUJER, demo)",
    "enlace.mp@demo.seguimiento.test": "José Ramírez (enlace MP, demo)",
}

# reference, institution, role, rhythm in months, days from the load to the next due date
ASSIGNMENTS = (
    (f"{CEDAW} ¶23", "SEMUJER", AssignmentRole.LEAD, 6, -20),
    (f"{CEDAW} ¶23", "MP", AssignmentRole.SUPPORT, 6, 45),
    (f"{CEDAW} ¶25", "SEMUJER", AssignmentRole.LEAD, 3, 10),
    (f"{CEDAW} ¶25", "MP", AssignmentRole.SUPPORT, 3, 10),
    (f"{CEDAW} ¶21", "SEMUJER", AssignmentRole.LEAD, 12, 200),
    (f"{CEDAW} ¶13", "MP", AssignmentRole.LEAD, 6, -45),
    (f"{CEDAW} ¶29", "MP", AssignmentRole.LEAD, 6, 60),
    (f"{CEDAW} ¶29", "SEDH", AssignmentRole.SUPPORT, 6, 60),
    (f"{CCPR} ¶15", "SEMUJER", AssignmentRole.LEAD, 6, -5),
    (f"{CCPR} ¶41", "MP", AssignmentRole.LEAD, 6, 30),
    (f"{CCPR} ¶41", "SNP", AssignmentRole.SUPPORT, 6, 30),
    (f"{CAT} ¶46", "MP", AssignmentRole.LEAD, 12, 120),
    (f"{IACHR} ¶23", "SEMUJER", AssignmentRole.LEAD, 12, 90),
    (f"{UPR} ¶81.2", "SEDH", AssignmentRole.LEAD, 12, 150),
)

RETURN_COMMENT = ("Gracias por el informe. Indique el número de personas capacitadas, "
                  "desagregado por sexo e institución, y adjunte las listas de asistencia.")

# Each report walks its steps; the first step opens the draft. A step is
# (state, days ago, comment); "approved" takes the visibility from the report.
REPORTS = (
    {
        "institution": "SEMUJER", "author": "enlace.semujer@demo.seguimiento.test",
        "title": "Campaña nacional «Vivir sin violencia» 2025 (borrador)",
        "description": "Propuesta de campaña en radio comunitaria y redes sociales sobre las "
                       "rutas de denuncia de la violencia doméstica, en español, garífuna y "
                       "miskito.\n\n*Pendiente:* validar los mensajes con las oficinas "
                       "municipales de la mujer.",
        "kind": MeasureKind.POLICY, "period": (-60, 0), "recommendations": [f"{CEDAW} ¶23"],
        "steps": [(ReportState.DRAFT, 3, None)],
    },
    {
        "institution": "SEMUJER", "author": "enlace.semujer@demo.seguimiento.test",
        "title": "Apertura de los Centros Ciudad Mujer de Choluteca y Juticalpa",
        "description": "Los dos nuevos centros integran en un mismo lugar la atención "
                       "psicológica, legal y médica a mujeres sobrevivientes de violencia, "
                       "con una sede del Ministerio Público y una de la Policía Nacional.\n\n"
                       "- Atenciones del primer trimestre: 1.240\n"
                       "- Denuncias recibidas: 312",
        "kind": MeasureKind.INSTITUTIONAL, "period": (-180, -30),
        "recommendations": [f"{CEDAW} ¶23", f"{CCPR} ¶15"],
        "steps": [(ReportState.DRAFT, 20, None), (ReportState.SUBMITTED, 6, None)],
    },
    {
        "institution": "MP", "author": "enlace.mp@demo.seguimiento.test",
        "title": "Fortalecimiento de la Fiscalía Especial de Protección a Personas Defensoras",
        "description": "Se incorporaron seis fiscales y cuatro agentes de investigación a la "
                       "fiscalía especial creada en 2018 y se abrió una oficina regional en "
                       "San Pedro Sula.",
        "kind": MeasureKind.INSTITUTIONAL, "period": (-365, -60),
        "recommendations": [f"{CCPR} ¶41"],
        "steps": [(ReportState.DRAFT, 40, None), (ReportState.SUBMITTED, 35, None),
                  (ReportState.RETURNED, 30,
                   "Precise cuántos casos de agresiones contra personas defensoras se "
                   "judicializaron en el periodo y cuántos concluyeron con sentencia.")],
    },
    {
        "institution": "SEMUJER", "author": "enlace.semujer@demo.seguimiento.test",
        "title": "Capacitación a operadores de justicia sobre la Ley contra la Violencia "
                 "Doméstica",
        "description": "Diplomado de 80 horas para juezas, jueces, fiscales y defensores "
                       "públicos de Tegucigalpa, San Pedro Sula y La Ceiba, con el apoyo de "
                       "la Escuela Judicial.\n\n- Personas capacitadas: 146 (98 mujeres, 48 "
                       "hombres)\n- Instituciones: Poder Judicial, Ministerio Público, "
                       "Defensa Pública",
        "kind": MeasureKind.TRAINING, "period": (-240, -120),
        "visibility": ReportVisibility.PUBLIC,
        "recommendations": [f"{CEDAW} ¶23", f"{CEDAW} ¶21"],
        "steps": [(ReportState.DRAFT, 110, None), (ReportState.SUBMITTED, 100, None),
                  (ReportState.RETURNED, 95, RETURN_COMMENT),
                  (ReportState.SUBMITTED, 90, None), (ReportState.APPROVED, 85, None)],
        "link": ("Programa del diplomado (sitio de ejemplo)",
                 "https://www.example.org/semujer/diplomado-violencia-domestica"),
        "file": ("Listas de asistencia al diplomado", "listas-de-asistencia.pdf"),
        "assessment": (ImplementationStatus.IN_PROGRESS, 80,
                       "La capacitación de operadores de justicia avanza y cubre tres "
                       "regiones; falta información sobre su efecto en la tramitación de "
                       "denuncias y sobre las zonas rurales."),
    },
    {
        "institution": "MP", "author": "enlace.mp@demo.seguimiento.test",
        "title": "Protocolo de investigación de delitos contra personas defensoras de "
                 "derechos humanos",
        "description": "La Fiscalía General aprobó un protocolo de investigación con "
                       "enfoque diferencial que obliga a considerar la labor de defensa como "
                       "hipótesis del móvil. Documento de uso interno mientras se capacita "
                       "al personal fiscal.",
        "kind": MeasureKind.JUDICIAL, "period": (-300, -150),
        "visibility": ReportVisibility.INTERNAL,
        "recommendations": [f"{CCPR} ¶41", f"{CEDAW} ¶29"],
        "steps": [(ReportState.DRAFT, 70, None), (ReportState.SUBMITTED, 65, None),
                  (ReportState.APPROVED, 60, None)],
        "assessment": (ImplementationStatus.PARTIALLY_IMPLEMENTED, 55,
                       "El protocolo atiende la recomendación de que las agresiones contra "
                       "personas defensoras no se traten como delitos comunes; siguen "
                       "pendientes la despenalización de la difamación y la capacitación."),
    },
    {
        "institution": "MP", "author": "enlace.mp@demo.seguimiento.test",
        "title": "Informe de casos de la Unidad de Investigación de Muertes Violentas de "
                 "Mujeres y Femicidios",
        "description": "La unidad recibió 389 casos en el año; 112 llegaron a requerimiento "
                       "fiscal y 41 concluyeron con sentencia condenatoria.",
        "kind": MeasureKind.JUDICIAL, "period": (-400, -35),
        "visibility": ReportVisibility.PUBLIC,
        "recommendations": [f"{CEDAW} ¶13", f"{CAT} ¶46"],
        "steps": [(ReportState.DRAFT, 50, None), (ReportState.SUBMITTED, 45, None),
                  (ReportState.APPROVED, 40, None)],
        "link": ("Estadísticas de la unidad (sitio de ejemplo)",
                 "https://www.example.org/mp/estadisticas-femicidios"),
        "assessment": (ImplementationStatus.IN_PROGRESS, 38,
                       "Hay avances en la judicialización de casos, pero la proporción de "
                       "sentencias sigue siendo baja frente a las denuncias."),
    },
)

# kind, title, description, days ago (start, end), public, terms, institutions, references
OFFICE_ACTIONS = (
    (OfficeActionKind.TECHNICAL_ASSISTANCE,
     "Asistencia técnica a la SEDH para el sistema de seguimiento de recomendaciones",
     "Acompañamiento a la DICCI en la carga de recomendaciones, la asignación a "
     "instituciones y la definición de plazos de reporte.", (200, 20), True,
     [("pillar", "mechanisms"), ("shift", "prevention")], ["SEDH", "DICCI"],
     [f"{UPR} ¶81.2"]),
    (OfficeActionKind.CAPACITY_BUILDING,
     "Taller sobre debida diligencia en la investigación de femicidios",
     "Dos jornadas con fiscales y agentes de investigación sobre el Protocolo "
     "Latinoamericano de investigación de muertes violentas de mujeres.", (130, 129), True,
     [("pillar", "accountability"), ("pillar", "non_discrimination"), ("spotlight", "women")],
     ["MP", "SEMUJER"], [f"{CEDAW} ¶23", f"{CAT} ¶46"]),
    (OfficeActionKind.MONITORING,
     "Visitas de monitoreo a centros penitenciarios de mujeres",
     "Visitas no anunciadas a la Penitenciaría Nacional Femenina de Adaptación Social; "
     "hallazgos compartidos con el INP.", (90, 75), False,
     [("pillar", "peace_security")], ["INP"], [f"{IACHR} ¶63", f"{CEDAW} ¶47"]),
    (OfficeActionKind.ADVOCACY,
     "Incidencia para la aprobación de la Ley de Casas Refugio",
     "Reuniones con la Comisión de Equidad de Género del Congreso Nacional y "
     "organizaciones de mujeres.", (60, None), True,
     [("pillar", "non_discrimination"), ("spotlight", "women"), ("shift", "inequalities")],
     ["CN", "SEMUJER"], [f"{CEDAW} ¶23"]),
    (OfficeActionKind.DIALOGUE,
     "Diálogo con personas defensoras sobre el Sistema Nacional de Protección",
     "Espacio de diálogo entre organizaciones de la sociedad civil y el Sistema Nacional "
     "de Protección sobre medidas de protección colectivas.", (45, 45), True,
     [("pillar", "participation"), ("shift", "civic_space")], ["SNP", "SEDH"],
     [f"{CCPR} ¶41", f"{UPR} ¶81.2"]),
    (OfficeActionKind.EARLY_WARNING,
     "Alerta temprana por desplazamiento forzado en el Bajo Aguán",
     "Nota reservada a la CIPPDV sobre amenazas a familias campesinas y riesgo de "
     "desplazamiento.", (25, None), False,
     [("pillar", "peace_security"), ("shift", "prevention")], ["CIPPDV"], []),
    (OfficeActionKind.PUBLIC_REPORT,
     "Presentación del informe anual sobre la situación de derechos humanos",
     "Presentación pública con participación de juventudes y de organizaciones de "
     "personas con discapacidad.", (15, 15), True,
     [("pillar", "accountability"), ("spotlight", "youth"),
      ("spotlight", "persons_with_disabilities")], ["SEDH", "CONADEH"], []),
)


def load_demo_set(today: date, report: DemoReport) -> None:
    """Add the demo accounts, assignments, reports, assessments and office actions; flush."""
    users = _users(report)
    institutions = {i.acronym: i for i in db.session.execute(db.select(Institution)).scalars()}
    recs = _recommendations()
    reviewer = users["revisor@demo.seguimiento.test"]
    for reference, acronym, role, rhythm, days in ASSIGNMENTS:
        _assignment(recs, reference, institutions[acronym], role, rhythm,
                    today + timedelta(days=days), reviewer, report)
    for spec in REPORTS:
        _report(spec, users, institutions, recs, reviewer, today, report)
    for spec in OFFICE_ACTIONS:
        _office_action(spec, institutions, recs, reviewer, today, report)
    db.session.flush()


def _users(report: DemoReport) -> dict[str, User]:
    found = {u.email: u for u in db.session.execute(
        db.select(User).where(User.email.in_([login.email for login in DEMO_LOGINS]))
    ).scalars()}
    for login in DEMO_LOGINS:
        if login.email in found:
            continue
        institution_id = None
        if login.institution:
            institution_id = db.session.execute(
                db.select(Institution.id).where(Institution.acronym == login.institution)
            ).scalar_one()
        user = User(email=login.email, name=NAMES[login.email], role=Role(login.role),
                    institution_id=institution_id, password_hash=hash_password(login.password),
                    locale="es", is_demo=True)
        db.session.add(user)
        found[login.email] = user
        report.add("users")
    db.session.flush()
    return found


def _recommendations() -> dict[str, Recommendation]:
    wanted = {ref for spec in ASSIGNMENTS for ref in spec[:1]}
    wanted |= {ref for spec in REPORTS for ref in spec["recommendations"]}
    wanted |= {ref for spec in OFFICE_ACTIONS for ref in spec[7]}
    return {rec.reference: rec for rec in db.session.execute(
        db.select(Recommendation).where(Recommendation.reference.in_(wanted))
    ).scalars()}


def _assignment(recs, reference, institution, role, rhythm, next_due, reviewer,
                report: DemoReport) -> None:
    rec = recs.get(reference)
    if rec is None:
        return
    exists = db.session.execute(db.select(Assignment.id).where(
        Assignment.recommendation_id == rec.id, Assignment.institution_id == institution.id
    )).first()
    if exists:
        return
    db.session.add(Assignment(recommendation_id=rec.id, institution_id=institution.id,
                              role=role, rhythm_months=rhythm, next_due=next_due,
                              created_by_id=reviewer.id))
    report.add("assignments")


def _snapshot(progress: ProgressReport) -> dict:
    # The same shape as the review workflow's snapshots.
    return {
        "title": progress.title,
        "description": progress.description,
        "period_start": progress.period_start.isoformat() if progress.period_start else None,
        "period_end": progress.period_end.isoformat() if progress.period_end else None,
        "measure_kind": progress.measure_kind.value,
        "recommendations": [rec.reference for rec in progress.recommendations],
        "evidence": [{"label": ev.label, "kind": ev.kind.value, "is_public": ev.is_public}
                     for ev in progress.evidence],
    }


def _report(spec: dict, users, institutions, recs, reviewer, today: date,
            report: DemoReport) -> None:
    institution = institutions[spec["institution"]]
    exists = db.session.execute(db.select(ProgressReport.id).where(
        ProgressReport.institution_id == institution.id, ProgressReport.title == spec["title"]
    )).first()
    if exists:
        return
    author = users[spec["author"]]
    start, end = spec["period"]
    progress = ProgressReport(
        institution_id=institution.id, author_id=author.id, title=spec["title"],
        description=spec["description"], measure_kind=spec["kind"],
        period_start=today + timedelta(days=start), period_end=today + timedelta(days=end),
        recommendations=[recs[ref] for ref in spec["recommendations"] if ref in recs],
    )
    db.session.add(progress)
    if "link" in spec:
        progress.evidence.append(Evidence(kind=EvidenceKind.LINK, label=spec["link"][0],
                                          url=spec["link"][1], is_public=True))
    if "file" in spec:
        label, filename = spec["file"]
        stored = _stored_pdf(filename, [label, spec["title"], "Documento de demostración."],
                             author.id)
        progress.evidence.append(Evidence(kind=EvidenceKind.FILE, label=label,
                                          stored_file=stored, is_public=False))
    previous = None
    for state, days_ago, comment in spec["steps"]:
        at = since(days_ago)
        progress.state = state
        if state == ReportState.SUBMITTED:
            progress.submitted_at = at
        if state in (ReportState.APPROVED, ReportState.RETURNED):
            progress.decided_at = at
        if state == ReportState.APPROVED:
            progress.visibility = spec["visibility"]
        actor = reviewer if state in (ReportState.APPROVED, ReportState.RETURNED) else author
        db.session.add(ReportTransition(report=progress, from_state=previous, to_state=state,
                                        actor_id=actor.id, at=at, comment=comment,
                                        snapshot=_snapshot(progress)))
        previous = state
    report.add("progress_reports")
    db.session.flush()
    if "assessment" in spec:
        status, days_ago, rationale = spec["assessment"]
        for rec in progress.recommendations[:1]:
            assessment = StatusAssessment(
                recommendation_id=rec.id, status=status, rationale=rationale,
                source=AssessmentSource.OFFICE, assessed_by_id=reviewer.id,
                assessed_at=since(days_ago), reports=[progress])
            db.session.add(assessment)
            set_current_status(rec, status, assessment.assessed_at)
            report.add("office_assessments")


def _terms(pairs: list[tuple[str, str]]) -> list[Term]:
    terms = []
    for vocabulary, code in pairs:
        term = db.session.execute(db.select(Term).join(Vocabulary).where(
            Vocabulary.code == vocabulary, Term.code == code)).scalar_one_or_none()
        if term is not None:
            terms.append(term)
    return terms


def _office_action(spec, institutions, recs, reviewer, today: date,
                   report: DemoReport) -> None:
    kind, title, description, (start, end), public, terms, acronyms, references = spec
    if db.session.execute(db.select(OfficeAction.id).where(OfficeAction.title == title)).first():
        return
    db.session.add(OfficeAction(
        kind=kind, title=title, description=description,
        start_date=today - timedelta(days=start),
        end_date=today - timedelta(days=end) if end is not None else None,
        is_public=public, created_by_id=reviewer.id, terms=_terms(terms),
        institutions=[institutions[a] for a in acronyms],
        recommendations=[recs[r] for r in references if r in recs],
    ))
    report.add("office_actions")


def _pdf_text(line: str) -> bytes:
    escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return escaped.encode("cp1252", "replace")


def tiny_pdf(lines: list[str]) -> bytes:
    """Return a valid one-page PDF showing the lines (Helvetica, Windows-1252)."""
    text = b"BT /F1 12 Tf 72 760 Td 16 TL " + b" ".join(
        b"(" + _pdf_text(line) + b") '" for line in lines) + b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def _stored_pdf(filename: str, lines: list[str], user_id: int) -> StoredFile:
    data = tiny_pdf(lines)
    stored = StoredFile(filename=filename, content_type="application/pdf", size=len(data),
                        sha256=hashlib.sha256(data).hexdigest(), data=data,
                        created_by_id=user_id)
    db.session.add(stored)
    return stored
