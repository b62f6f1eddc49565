"""Textos en español de las comprobaciones de una verificación más allá de las genéricas (es_backup.py:
verify.*): lo que dicen los drivers, la comparación de ficheros, el descifrado de una copia y los fallos de
la propia verificación, y los nombres de las comprobaciones (checkname.*)."""

TEXTS: dict[str, str | dict[str, str]] = {
    # ---- las primeras palabras del nombre de una comprobación (el resto nombra una parte, una base) ----
    "checkname.structure": "estructura",
    "checkname.restore": "restauración",
    "checkname.rows": "filas",
    "checkname.heads": "referencias",
    "checkname.cloned heads": "referencias clonadas",
    "checkname.fsck": "fsck",
    "checkname.complete": "completo",
    "checkname.scratch": "carpeta temporal",
    "checkname.scratch database for": "base de datos temporal para",
    "checkname.drop": "eliminación de",
    "checkname.event chain": "cadena de eventos",
    "checkname.decrypted": "descifrado",
    "checkname.min_size": "tamaño mínimo",
    "checkname.require": "nombres requeridos",
    "checkname.shrink": "reducción",
    # ---- la propia verificación (verification/runs.py, levels.py) ----
    "verify.run_failed_reason": "la ejecución {run} no superó la verificación ({level}): {message}",
    "verify.run_failed": "no superó la verificación: {message}",
    "verify.no_scratch": "no se puede crear una carpeta temporal en {root}: {error}",
    "verify.no_artifact": "la ejecución no tiene artefacto (falló, o la retención lo eliminó)",
    "verify.no_artifact_message": "la ejecución no tiene artefacto que verificar",
    "verify.pruned_meanwhile": "la retención la eliminó durante la verificación",
    "verify.timed_out": "superó el tiempo límite de {timeout}",
    "verify.not_installed": "{tool} no está instalado",
    "verify.complete_ok": "termina con la línea de fin de {tool}",
    "verify.complete_missing": "falta la línea de fin de {tool}: el volcado quedó cortado",
    "verify.dump_tool": "la herramienta de volcado",
    "verify.rows_differ": "{table}: {rows} filas, {recorded} al respaldar",
    "verify.rows_table_missing": "{table}: no está, {recorded} filas al respaldar",
    "verify.rows_unrecorded": "{table}: no figura en lo registrado al respaldar",
    # ---- las reglas del sitio (verification/rules.py) ----
    "rule.min_size": "{size} (se exige al menos {min})",
    "rule.require_missing": "faltan: {names}",
    "rule.require_ok": {"one": "{n} nombre requerido presente", "other": "{n} nombres requeridos presentes"},
    "rule.shrink_accepted": "{size} frente a una mediana de {median}; aceptada: {reason}",
    "rule.shrink_small": {"one": "{size} es menos del {percent}% de la mediana, {median}, de {n} ejecución correcta "
                                 "anterior: acéptela con un motivo si es lo esperado",
                          "other": "{size} es menos del {percent}% de la mediana, {median}, de las {n} últimas "
                                   "ejecuciones correctas: acéptela con un motivo si es lo esperado"},
    "rule.shrink_ok": "{size} frente a una mediana de {median}",
}
