"""Moved to dse_tui/core/texts/ (en.py, es.py). A text still added here ({"en": ..., "es": ...}) works,
merged by dse_tui/i18n.py, but belongs there."""

TEXTS: dict[str, dict[str, str]] = {
    'rcmd.medium': {'en': 'From medium', 'es': 'Desde soporte'},
    'rcmd.medium.help': {'en': 'Restore a pruned run from one of its copies at hand (a disk, images, a share)', 'es': 'Restaurar una ejecución depurada desde una de sus copias a mano (un disco, imágenes, un recurso compartido)'},
    'why.medium_kept': {'en': 'Run {run} is still here: restore it with t', 'es': 'La ejecución {run} sigue aquí: restáurela con t'},
    'why.medium_no_copies': {'en': 'Run {run} has no verified copy', 'es': 'La ejecución {run} no tiene copias verificadas'},
    'medium.title': {'en': 'Copies of run {run} on media', 'es': 'Copias de la ejecución {run} en soportes'},
    'medium.looking': {'en': 'Looking for the copies at hand (disks plugged in, images, shares)…', 'es': 'Buscando las copias a mano (discos conectados, imágenes, recursos compartidos)…'},
    'medium.col.destination': {'en': 'Destination', 'es': 'Destino'},
    'medium.col.media': {'en': 'Media', 'es': 'Soportes'},
    'medium.col.where': {'en': 'Where', 'es': 'Dónde'},
    'medium.none': {'en': 'None of the copies is at hand: plug in the disk, or use dse-tui restore --from with the discs', 'es': 'Ninguna copia está a mano: conecte el disco, o use dse-tui restore --from con los discos'},
    'medium.pick': {'en': 'Enter restores from the copy chosen', 'es': 'Intro restaura desde la copia elegida'},
    'medium.not_usable': {'en': 'That copy is not at hand: {why}', 'es': 'Esa copia no está a mano: {why}'},
    'medium.opening': {'en': 'Reading the copy of run {run} in {where}…', 'es': 'Leyendo la copia de la ejecución {run} en {where}…'},
    'medium.from': {'en': 'From the copy in {where}', 'es': 'Desde la copia en {where}'},
    'medium.use': {'en': 'Restore from it', 'es': 'Restaurar desde ella'},
}
