"""Interface texts in Spanish and English. Keys are English identifiers; a missing key shows itself."""

from __future__ import annotations

import locale
import os

LANGUAGES = ("es", "en")

TEXTS: dict[str, dict[str, str]] = {
    # states
    "state.ok": {"en": "ok", "es": "correcto"},
    "state.due": {"en": "due", "es": "pendiente"},
    "state.overdue": {"en": "overdue", "es": "atrasado"},
    "state.never": {"en": "never", "es": "nunca"},
    "state.failed": {"en": "failed", "es": "fallido"},
    "state.manual-required": {"en": "manual required", "es": "manual requerido"},
    # kinds
    "kind.database": {"en": "database", "es": "base de datos"},
    "kind.software": {"en": "software", "es": "software"},
    "kind.web": {"en": "web", "es": "web"},
    "kind.config": {"en": "config", "es": "configuración"},
    # run states
    "run.running": {"en": "running", "es": "en curso"},
    "run.good": {"en": "good", "es": "correcto"},
    "run.failed": {"en": "failed", "es": "fallido"},
    "run.cancelled": {"en": "cancelled", "es": "cancelado"},
    # columns
    "col.name": {"en": "Repository", "es": "Repositorio"},
    "col.kind": {"en": "Kind", "es": "Tipo"},
    "col.driver": {"en": "Driver", "es": "Driver"},
    "col.state": {"en": "State", "es": "Estado"},
    "col.last": {"en": "Last good", "es": "Último correcto"},
    "col.size": {"en": "Size", "es": "Tamaño"},
    "col.next": {"en": "Next due", "es": "Próximo"},
    "col.copies": {"en": "Copies", "es": "Copias"},
    "col.started": {"en": "Started", "es": "Inicio"},
    "col.duration": {"en": "Took", "es": "Duración"},
    "col.note": {"en": "Note", "es": "Nota"},
    # dashboard
    "never": {"en": "never", "es": "nunca"},
    "filter.kind": {"en": "Kind", "es": "Tipo"},
    "filter.state": {"en": "State", "es": "Estado"},
    "filter.all_kinds": {"en": "All kinds", "es": "Todos los tipos"},
    "filter.all_states": {"en": "All states", "es": "Todos los estados"},
    "filter.attention": {"en": "Needs attention", "es": "Requiere atención"},
    "summary": {"en": "{total} repositories", "es": "{total} repositorios"},
    "summary.shown": {"en": "{shown} of {total} shown", "es": "{shown} de {total} visibles"},
    "no_match": {"en": "No repository matches the filters. Press k or s to change them.",
                 "es": "Ningún repositorio coincide con los filtros. Pulse k o s para cambiarlos."},
    "empty.title": {"en": "This profile has no repositories yet", "es": "Este perfil aún no tiene repositorios"},
    "empty.body": {
        "en": "Add them under [b]repositories:[/b] in\n{file}\nfor example:\n\n{example}\n\nThen press [b]ctrl+r[/b] to reload.",
        "es": "Añádalos bajo [b]repositories:[/b] en\n{file}\npor ejemplo:\n\n{example}\n\nLuego pulse [b]ctrl+r[/b] para recargar."},
    "detail.none": {"en": "Select a repository", "es": "Seleccione un repositorio"},
    "detail.source": {"en": "Source", "es": "Origen"},
    "detail.every": {"en": "Every", "es": "Cada"},
    "detail.grace": {"en": "grace", "es": "margen"},
    "detail.verify": {"en": "Verification", "es": "Verificación"},
    "detail.destinations": {"en": "Destinations", "es": "Destinos"},
    "detail.encrypted": {"en": "Encrypted to", "es": "Cifrado para"},
    "detail.none_set": {"en": "none", "es": "ninguno"},
    "detail.periods": {"en": "Last {n} periods", "es": "Últimos {n} periodos"},
    "detail.legend": {"en": "good  failed  cancelled  missing  not yet",
                      "es": "correcto  fallido  cancelado  falta  aún no"},
    "detail.sizes": {"en": "Size of the last {n} good runs", "es": "Tamaño de los últimos {n} respaldos correctos"},
    "detail.no_sizes": {"en": "No good run yet", "es": "Aún no hay respaldos correctos"},
    "detail.runs": {"en": "Recent runs", "es": "Ejecuciones recientes"},
    "detail.no_runs": {"en": "No runs yet", "es": "Aún no hay ejecuciones"},
    "detail.actions": {"en": "Actions", "es": "Acciones"},
    # why a key does nothing now (said when it is pressed, and in F1 help)
    "why.no_repository": {"en": "Select a repository first", "es": "Seleccione primero un repositorio"},
    "why.running": {"en": "{name} is backing up already: x cancels it", "es": "{name} ya se está respaldando: x lo cancela"},
    "why.not_running": {"en": "{name} has no backup running", "es": "{name} no tiene ningún respaldo en curso"},
    "why.no_destinations": {"en": "{name} has no destinations in the profile",
                            "es": "{name} no tiene destinos en el perfil"},
    "why.no_good_run": {"en": "{name} has no good run yet: r backs it up",
                        "es": "{name} aún no tiene un respaldo correcto: r lo respalda"},
    "why.idle": {"en": "Nothing is running", "es": "No hay nada en curso"},
    "dialog.close": {"en": "Close", "es": "Cerrar"},
    "dialog.close.help": {"en": "Close this window", "es": "Cerrar esta ventana"},
    "confirm.no": {"en": "No", "es": "No"},
    "confirm.no.help": {"en": "Answer no: nothing is done", "es": "Responder que no: no se hace nada"},
    "confirm.yes": {"en": "Yes", "es": "Sí"},
    "confirm.yes.help": {"en": "Answer yes", "es": "Responder que sí"},
    "worker.failed": {"en": "Something failed in the console ({what}): {error}",
                      "es": "Algo falló en la consola ({what}): {error}"},
    # commands (footer, palette, help)
    "cmd.run": {"en": "Run", "es": "Respaldar"},
    "cmd.run.help": {"en": "Back up the selected repository now", "es": "Respaldar ahora el repositorio seleccionado"},
    "cmd.verify": {"en": "Verify", "es": "Verificar"},
    "cmd.verify.help": {"en": "The repository's runs: verify, restore, accept", "es": "Las ejecuciones del repositorio: verificar, restaurar, aceptar"},
    "cmd.checklist": {"en": "Manual", "es": "Manual"},
    "cmd.checklist.help": {"en": "Start or resume a manual-backup session on the ITR checklist",
                           "es": "Iniciar o reanudar una sesión de respaldo manual con la lista del ITR"},
    "cmd.copy": {"en": "Copy", "es": "Copiar"},
    "cmd.copy.help": {"en": "Copy the last good run to its devices", "es": "Copiar el último respaldo correcto a sus dispositivos"},
    "cmd.label": {"en": "Label", "es": "Etiqueta"},
    "cmd.label.help": {"en": "Print labels for the media", "es": "Imprimir etiquetas de los soportes"},
    "cmd.kind": {"en": "Kind filter", "es": "Filtro tipo"},
    "cmd.kind.help": {"en": "Show the next kind of repository", "es": "Mostrar el siguiente tipo de repositorio"},
    "cmd.state": {"en": "State filter", "es": "Filtro estado"},
    "cmd.state.help": {"en": "Show the next state", "es": "Mostrar el siguiente estado"},
    "cmd.reload": {"en": "Reload", "es": "Recargar"},
    "cmd.reload.help": {"en": "Read the profile and the catalog again", "es": "Volver a leer el perfil y el catálogo"},
    "cmd.language": {"en": "Español", "es": "English"},
    "cmd.language.help": {"en": "Cambiar la interfaz a español", "es": "Switch the interface to English"},
    "cmd.help": {"en": "Help", "es": "Ayuda"},
    "cmd.help.help": {"en": "The keys of this screen", "es": "Las teclas de esta pantalla"},
    "cmd.quit": {"en": "Quit", "es": "Salir"},
    "cmd.quit.help": {"en": "Leave dse-tui", "es": "Salir de dse-tui"},
    "cmd.run_due": {"en": "Run due", "es": "Respaldar pendientes"},
    "cmd.run_due.help": {"en": "Back up every repository that is due, overdue, never done or failed",
                         "es": "Respaldar los repositorios pendientes, atrasados, nunca hechos o fallidos"},
    "cmd.cancel": {"en": "Cancel", "es": "Cancelar"},
    "cmd.cancel.help": {"en": "Stop the selected repository's running backup",
                        "es": "Detener el respaldo en curso del repositorio seleccionado"},
    "cmd.log": {"en": "Log", "es": "Registro"},
    "cmd.log.help": {"en": "The output of the selected repository's current or last run",
                     "es": "La salida de la ejecución actual o última del repositorio"},
    # runs
    "runs.title": {"en": "Running ({n})", "es": "En curso ({n})"},
    "runs.queued": {"en": "queued", "es": "en cola"},
    "runs.starting": {"en": "starting…", "es": "iniciando…"},
    "runs.phase.backup": {"en": "backing up", "es": "respaldando"},
    "runs.phase.read-back": {"en": "reading back", "es": "releyendo"},
    "runs.phase.verify": {"en": "verifying", "es": "verificando"},
    "runs.phase.copy": {"en": "copying to {destination}", "es": "copiando a {destination}"},
    "runs.good": {"en": "{name}: backup good, {size}", "es": "{name}: respaldo correcto, {size}"},
    "runs.failed": {"en": "{name}: backup failed: {message}", "es": "{name}: el respaldo falló: {message}"},
    "runs.cancelled": {"en": "{name}: backup cancelled", "es": "{name}: respaldo cancelado"},
    "runs.already": {"en": "{name}: {message}", "es": "{name}: ya está en curso ({message})"},
    "runs.none_due": {"en": "Nothing is due", "es": "No hay nada pendiente"},
    "log.title": {"en": "Run output — {name}   (Esc closes)", "es": "Salida de la ejecución — {name}   (Esc cierra)"},
    "log.empty": {"en": "No run of this repository from this console yet.",
                  "es": "Aún no hay ejecuciones de este repositorio desde esta consola."},
    "log.stderr": {"en": "--- output of the tools, as kept with the last run ---",
                   "es": "--- salida de las herramientas, guardada con la última ejecución ---"},
    "quit.running": {"en": "{n} backup(s) running. Quitting cancels them: their runs are recorded as cancelled.",
                     "es": "{n} respaldo(s) en curso. Salir los cancela: quedarán registrados como cancelados."},
    "quit.yes": {"en": "Cancel them and quit", "es": "Cancelarlos y salir"},
    "quit.no": {"en": "Stay", "es": "Seguir"},
    "reason.never": {"en": "no satisfactory backup yet", "es": "aún sin respaldo satisfactorio"},
    "reason.overdue": {"en": "due {when}", "es": "pendiente desde {when}"},
    # help screen
    "help.title": {"en": "dse-tui — keys", "es": "dse-tui — teclas"},
    "help.key": {"en": "Key", "es": "Tecla"},
    "help.action": {"en": "Action", "es": "Acción"},
    "help.states": {
        "en": "[b]States[/b]: [green]ok[/] backed up in time · [yellow]due[/] its periodicity has passed · "
              "[red]overdue[/] past the grace period too · [yellow]never[/] no good backup yet · "
              "[red]failed[/] the last run failed · [white on red]manual required[/] make a manual backup "
              "with the ITR checklist (step 4.2.1).",
        "es": "[b]Estados[/b]: [green]correcto[/] respaldado a tiempo · [yellow]pendiente[/] pasó su periodicidad · "
              "[red]atrasado[/] pasó también el margen · [yellow]nunca[/] sin respaldo correcto aún · "
              "[red]fallido[/] falló la última ejecución · [white on red]manual requerido[/] hacer un respaldo "
              "manual con la lista del ITR (paso 4.2.1)."},
    "help.close": {"en": "Press Esc or F1 to close.", "es": "Pulse Esc o F1 para cerrar."},
    "help.tab": {"en": "Next field (shift+tab: the previous one)", "es": "Campo siguiente (shift+tab: el anterior)"},
    "help.palette": {"en": "Command palette: this screen's commands by name",
                     "es": "Paleta de comandos: las órdenes de esta pantalla por su nombre"},
    # problems
    "problem.title": {"en": "The profile cannot be used", "es": "No se puede usar el perfil"},
    "problem.count": {"en": "{n} problem(s) in {file}:", "es": "{n} problema(s) en {file}:"},
    "problem.hint": {"en": "Fix the file and press [b]r[/b] to read it again, or [b]q[/b] to quit.",
                     "es": "Corrija el fichero y pulse [b]r[/b] para volver a leerlo, o [b]q[/b] para salir."},
    "problem.no_profile": {"en": "No profile found", "es": "No se encontró ningún perfil"},
    "problem.no_profile.body": {
        "en": "dse-tui looked for {file}.\n\nPass one with [b]--profile FILE[/b] or set [b]DSE_TUI_PROFILE[/b];\n"
              "or try the demo site: [b]dse-tui --demo[/b].",
        "es": "dse-tui buscó {file}.\n\nIndique uno con [b]--profile FICHERO[/b] o defina [b]DSE_TUI_PROFILE[/b];\n"
              "o pruebe el sitio de demostración: [b]dse-tui --demo[/b]."},
    "cmd.retry": {"en": "Read again", "es": "Releer"},
    "cmd.retry.help": {"en": "Read the profile again (after fixing it)", "es": "Volver a leer el perfil (tras corregirlo)"},
    "catalog.error": {"en": "The catalog cannot be opened", "es": "No se puede abrir el catálogo"},
    "catalog.error.body": {"en": "{error}\n\nCheck storage.catalog in {file}.",
                           "es": "{error}\n\nRevise storage.catalog en {file}."},
}

from dse_tui.i18n_runs import TEXTS as _RUNS_TEXTS  # noqa: E402
from dse_tui.i18n_sessions import TEXTS as _SESSION_TEXTS  # noqa: E402
from dse_tui.i18n_media import TEXTS as _MEDIA_TEXTS  # noqa: E402
from dse_tui.i18n_browse import TEXTS as _BROWSE_TEXTS  # noqa: E402

for _part in (_RUNS_TEXTS, _SESSION_TEXTS, _MEDIA_TEXTS, _BROWSE_TEXTS):
    assert not TEXTS.keys() & _part.keys(), "a text key defined twice"
    TEXTS.update(_part)


def tr(key: str, lang: str, **values) -> str:
    entry = TEXTS.get(key)
    text = entry.get(lang) or entry.get("en") if entry else key
    return text.format(**values) if values else text


def default_language(profile_language: str | None = None) -> str:
    """The profile's language, else the user's locale (LC_ALL, LC_MESSAGES, LANG), else English."""
    if profile_language in LANGUAGES:
        return profile_language
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return "es" if value.lower().startswith("es") else "en"
    try:
        code = locale.getlocale()[0] or ""
    except ValueError:
        code = ""
    return "es" if code.lower().startswith("es") else "en"
