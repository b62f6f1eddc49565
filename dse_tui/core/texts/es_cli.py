"""Textos en español de la ayuda de la línea de órdenes: la descripción, la ayuda de cada orden y opción
(help.*), los nombres de los valores que toman (help.meta.*) y lo que dice el propio argparse (argparse.*)."""

TEXTS: dict[str, str | dict[str, str]] = {
    # ---- dse-tui y las opciones que toman todas las órdenes (cli/__init__.py) ----
    "help.description": "Consola de respaldos del procedimiento de respaldo del DSE (PRO 7.5 DSE 02). "
                        "Sin orden, abre el panel.",
    "help.top.profile": "perfil del sitio (por omisión: $DSE_TUI_PROFILE y, si no, el directorio de configuración "
                        "del usuario)",
    "help.top.this_host": "el nombre de este equipo de respaldo, para el `host:` del perfil (por omisión: "
                          "$DSE_TUI_HOST y, si no, el nombre de la máquina)",
    "help.top.lang": "idioma de la interfaz (por omisión: el del perfil y, si no, el de la configuración regional)",
    "help.top.version": "mostrar la versión del programa y salir",
    "help.top.demo": "abrir la TUI en el sitio de demostración (se crea la primera vez)",
    # ---- los nombres de los valores que toman las opciones (metavar) ----
    "help.meta.command": "ORDEN",
    "help.meta.action": "ACCIÓN",
    "help.meta.file": "FICHERO",
    "help.meta.name": "NOMBRE",
    "help.meta.repo": "REPO",
    "help.meta.id": "ID",
    "help.meta.run": "EJECUCIÓN",
    "help.meta.target": "DESTINO",
    "help.meta.db": "BD",
    "help.meta.path": "RUTA",
    "help.meta.table": "TABLA",
    "help.meta.place": "LUGAR",
    "help.meta.dir": "DIR",
    "help.meta.var": "VAR",
    "help.meta.opt": "OPC",
    "help.meta.host": "SERVIDOR",
    "help.meta.port": "PUERTO",
    "help.meta.user": "USUARIO",
    "help.meta.reason": "MOTIVO",
    "help.meta.medium": "SOPORTE",
    "help.meta.stock": "E",
    "help.meta.queue": "COLA",
    "help.meta.n": "N",
    "help.meta.dest": "DEST",
    "help.meta.code": "CÓDIGO",
    "help.meta.where": "DÓNDE",
    "help.meta.state": "ESTADO",
    "help.meta.text": "TEXTO",
    "help.meta.date": "FECHA",
    "help.meta.limit": "LÍMITE",
    "help.meta.url": "URL",
    "help.meta.directory": "directorio",
    # ---- los respaldos y su estado (cli/backup.py) ----
    "help.demo": "el sitio de demostración",
    "help.demo.init": "crear el sitio de demostración sin interfaz e imprimir la ruta de su perfil",
    "help.demo.init.directory": "dónde (por omisión: el directorio de datos del usuario)",
    "help.check": "validar el perfil y las listas de comprobación y después comprobar herramientas, servidores y "
                  "destinos",
    "help.status": "una fila por repositorio; sale con 0 si todo está correcto, 1 si hay pendientes, atrasados o "
                   "nunca respaldados, 2 si hay fallidos o con respaldo manual requerido",
    "help.status.json": "una lista JSON de objetos (estable, vea docs/operator.md)",
    "help.status.prometheus": "formato de fichero de texto de node-exporter (hora de la última ejecución correcta, "
                              "tamaño, copias y estado de cada repositorio)",
    "help.run": "respaldar lo pendiente (por omisión), todo (--all) o los repositorios indicados",
    "help.run.due": "los repositorios pendientes, atrasados o nunca respaldados",
    "help.run.all": "todos los repositorios",
    "help.run.repos": "identificadores de repositorio",
    "help.run.json": "una lista JSON, un objeto por ejecución (vea docs/operator.md)",
    "help.notify": "enviar por correo lo atrasado o lo que caduca, el resumen diario y todo correo en espera",
    "help.notify.test": "enviar también un mensaje de prueba",
    "help.prune": "eliminar las ejecuciones que la retención ya no conserva",
    "help.prune.repos": "identificadores de repositorio (por omisión: todos)",
    "help.prune.dry_run": "decir qué se eliminaría, sin eliminar nada",
    # ---- verify, restore, accept (cli/checks.py) ----
    "help.verify": "verificar ejecuciones: lo pendiente (por omisión), la última ejecución de los repositorios "
                   "indicados o --run ID; sale con 0 solo si todas se superan",
    "help.verify.repos": "identificadores de repositorio: su última ejecución",
    "help.verify.run": "un identificador de ejecución (se puede repetir)",
    "help.verify.level": "en lugar del nivel propio de cada repositorio",
    "help.verify.due": "las ejecuciones cuyo verify_every ha vencido (por omisión)",
    "help.verify.copies": "solo las copias: las de los repositorios indicados (todas sus copias) o, si no, las "
                          "pendientes",
    "help.verify.json": "una lista JSON, un objeto por verificación (vea docs/operator.md)",
    "help.identity": "una identidad age que abre ejecuciones cifradas (se puede repetir; también se buscan en la "
                     "carpeta de claves y en encryption.identities del perfil)",
    "help.restore": "restaurar una ejecución en una carpeta, un fichero o una base de datos nuevos, desde su carpeta "
                    "de aquí o desde una copia (--from)",
    "help.restore.run": "el identificador de la ejecución (vea `dse-tui status` o la consola); con --from, cuál de "
                        "las ejecuciones de las copias de allí (necesario cuando contienen varias)",
    "help.restore.to": "una carpeta o un fichero (files, git, sqlite o los ficheros de volcado de una base de "
                       "datos) o el nombre de una base de datos en el servidor del repositorio",
    "help.restore.database": "qué base de datos de la ejecución (cuando contiene varias)",
    "help.restore.path": "solo este fichero o carpeta (con todo lo que contiene) de una ejecución de ficheros, tal "
                         "como lo nombra el contenido de la ejecución (se puede repetir)",
    "help.restore.table": "solo esta tabla (esquema.tabla) o este esquema de una ejecución de base de datos (se "
                          "puede repetir; vea en docs/operator.md qué puede restaurar por separado cada driver)",
    "help.restore.force": "restaurar sobre un destino que ya existe",
    "help.restore.confirm": "el identificador del repositorio, para restaurar sobre su origen en uso (se pregunta "
                            "en un terminal)",
    "help.restore.json": "un objeto JSON en una lista",
    "help.restore.from_copy": "restaurar desde una copia (--from): no hacen falta perfil ni catálogo",
    "help.restore.from": "una copia: una carpeta de un disco o de un recurso compartido, la carpeta dse-tui/ de un "
                         "disco extraíble, imágenes de disco o discos montados (repita --from para un juego "
                         "repartido en varios), una ruta SSH usuario@servidor:/ruta o "
                         "ssh://usuario@servidor:puerto/ruta",
    "help.restore.work": "dónde se reúne una copia de discos o por SSH antes de verificarla (con espacio para la "
                         "ejecución)",
    "help.restore.host": "el servidor de bases de datos en el que restaurar (un destino de base de datos)",
    "help.restore.port": "su puerto",
    "help.restore.user": "el rol o usuario que restaura",
    "help.restore.password_env": "la variable de entorno que contiene la contraseña (nunca la contraseña misma)",
    "help.restore.passfile": "un fichero pgpass o de opciones con la contraseña",
    "help.restore.ssh_identity": "la clave para una copia por SSH (si no, la de ~/.ssh/config)",
    "help.restore.ssh_option": "una opción ssh -o (se puede repetir)",
    "help.accept": "aceptar, con el motivo, una ejecución retenida únicamente por la regla de reducción",
    "help.accept.reason": "por qué el respaldo más pequeño es correcto (queda en los registros)",
    # ---- listas de comprobación y sesiones (cli/checklists.py, cli/sessions.py) ----
    "help.checklist": "las listas de comprobación ITR de los respaldos manuales",
    "help.checklist.list": "todas las listas de comprobación: nombre, tipo, drivers, pasos",
    "help.checklist.show": "una lista de comprobación, para leerla o imprimirla",
    "help.checklist.show.name": "el nombre de su fichero sin extensión (vea `checklist list`); con --repo, por "
                                "omisión la propia de ese repositorio",
    "help.checklist.show.repo": "completar las órdenes con este repositorio del perfil, con sus pasos adicionales",
    "help.session": "los registros de las sesiones de las listas de comprobación de respaldos manuales",
    "help.session.list": "las sesiones, de la más reciente a la más antigua",
    "help.session.list.repo": "solo las de este repositorio",
    "help.session.list.json": "una lista JSON de objetos",
    "help.session.show": "el registro de una sesión, para leerlo, guardarlo o imprimirlo",
    "help.session.show.no_output": "dejar fuera del Markdown la salida de las órdenes",
    "help.session.register": "registrar los ficheros que produjo una sesión terminada como una ejecución manual, "
                             "verificada",
    "help.session.register.files": "los ficheros o carpetas que produjo el respaldo manual",
    "help.session.register.json": "un objeto JSON en una lista, como `run --json`",
    "help.session.abandon": "abandonar una sesión abierta, con el motivo",
    "help.session.abandon.reason": "por qué (queda en el registro)",
    # ---- copias, soportes, etiquetas (cli/media.py, cli/labels.py) ----
    "help.copy": "copiar la última ejecución correcta de cada repositorio (o de los indicados, o --run) en sus "
                 "destinos, releyendo cada una; sale con 0 solo si se verificaron todas las copias",
    "help.copy.run": "esta ejecución en lugar de las últimas correctas",
    "help.copy.to": "solo este destino (se puede repetir)",
    "help.copy.json": "una lista JSON, un objeto por copia",
    "help.media": "el inventario de soportes",
    "help.media.list": "todos los soportes: código, estado, ubicación, ejecuciones, caducidad",
    "help.media.list.state": "solo los soportes en este estado",
    "help.media.show": "un soporte y lo que contiene",
    "help.media.move": "la nueva ubicación y/o el nuevo estado de un soporte",
    "help.media.move.state": "blank (virgen), in-use (en uso), full (lleno), offsite (fuera del edificio)",
    "help.media.retire": "un soporte sale de servicio (se rechaza mientras contenga la única copia de una ejecución)",
    "help.label": "etiquetas para soportes: una vista previa en texto, --pdf FICHERO, --zpl FICHERO o --print COLA",
    "help.label.codes": "códigos de soporte (vea `dse-tui media list`)",
    "help.label.stock": "tipo de etiqueta (por omisión: el de la impresora y, si no, el del perfil)",
    "help.label.print": "una impresora del perfil o una cola de CUPS",
    "help.label.start_position": "primera posición libre en una hoja usada a medias (1 = arriba a la izquierda)",
    "help.label.copies": "de cada etiqueta",
    # ---- los registros: informe, auditoría (cli/audit.py) ----
    "help.report": "el informe del auditor de un periodo: ejecuciones, verificaciones, copias, etiquetas, sesiones, "
                   "huecos",
    "help.report.from": "primer día (AAAA-MM-DD)",
    "help.report.to": "último día, incluido (AAAA-MM-DD)",
    "help.report.repo": "solo este repositorio (se puede repetir)",
    "help.report.output": "por omisión: la salida estándar (md, csv)",
    "help.audit": "el registro de eventos: verificar su cadena de hashes, exportarlo, leerlo",
    "help.audit.verify": "comprobar la cadena de hashes: se nombra todo evento editado, borrado o insertado; sale "
                         "con 0 solo si está intacta",
    "help.audit.verify.against": "un registro exportado (o el audit-log.jsonl.zst de una ejecución) para detectar "
                                 "eventos borrados del final",
    "help.audit.export": "el registro entero como líneas JSON, con los hashes",
    "help.audit.log": "los eventos, del más reciente al más antiguo, filtrados",
    "help.audit.log.action": "los eventos cuya acción contiene TEXTO",
    # ---- claves de cifrado (cli/keys.py) ----
    "help.keys": "las claves de cifrado (age) y su hoja de recuperación",
    "help.keys.init": "crear un par de claves (la identidad, legible solo por su propietario) y su hoja de "
                      "recuperación",
    "help.keys.init.dir": "dónde están las claves (por omisión: la configuración del usuario)",
    "help.keys.init.sheet": "el PDF de la hoja de recuperación (por omisión: junto a la clave)",
    "help.keys.init.passphrase": "proteger el fichero de identidad con una frase de paso (se pide dos veces en el "
                                 "terminal)",
    "help.keys.init.passphrase_env": "protegerlo con la frase de paso de esta variable de entorno (nunca en la "
                                     "línea de órdenes)",
    "help.keys.list": "los identificadores de clave, las claves públicas y qué ejecuciones y soportes abre cada una",
    # ---- el propio catálogo (cli/catalog.py) ----
    "help.catalog": "el propio catálogo: reconstruirlo a partir de las copias",
    "help.catalog.rebuild": "volver a crear el catálogo a partir de las copias en soportes (carpetas, la carpeta "
                            "dse-tui/ de un disco extraíble, imágenes de disco): la copia de seguridad del catálogo "
                            "más reciente que se encuentre y después las ejecuciones y copias posteriores a ella",
    "help.catalog.rebuild.from": "una carpeta que contiene copias (se puede repetir)",
    "help.catalog.rebuild.catalog": "el catálogo que crear (por omisión: el del perfil y, si no, la ruta por omisión "
                                    "del sitio)",
    "help.catalog.rebuild.identity": "una identidad age que abre las copias cifradas en el camino (la de la hoja de "
                                     "recuperación; se puede repetir)",
    "help.catalog.rebuild.passphrase_env": "la variable de entorno que contiene la frase de paso de una identidad "
                                           "protegida",
    "help.catalog.rebuild.force": "reconstruir sobre un catálogo que contiene registros (se aparta, renombrado)",
    "help.catalog.migrate": "copiar el catálogo SQLite del perfil (o --catalog FICHERO) en una base de datos "
                            "PostgreSQL vacía",
    "help.catalog.migrate.to": "postgresql://usuario@servidor/bd (sin la contraseña)",
    "help.catalog.migrate.catalog": "el catálogo SQLite que copiar",
    "help.catalog.migrate.passfile": "un fichero pgpass con la contraseña",
    "help.catalog.migrate.password_env": "la variable de entorno que contiene la contraseña",
    # ---- lo que dice el propio argparse ----
    "argparse.usage": "uso: ",
    "argparse.positionals": "argumentos posicionales",
    "argparse.options": "opciones",
    "argparse.help": "mostrar este mensaje de ayuda y salir",
    "argparse.error": "%(prog)s: error: %(message)s\n",
    "argparse.argument": "argumento %(argument_name)s: %(message)s",
    "argparse.unrecognized": "argumentos no reconocidos: %s",
    "argparse.not_allowed": "no se permite con el argumento %s",
    "argparse.ignored": "se ha ignorado el argumento explícito %r",
    "argparse.required": "se requieren los siguientes argumentos: %s",
    "argparse.one_of": "se requiere uno de los argumentos %s",
    "argparse.expected_one": "se esperaba un argumento",
    "argparse.expected_at_most_one": "se esperaba un argumento como máximo",
    "argparse.expected_at_least_one": "se esperaba al menos un argumento",
    "argparse.expected_n": {"one": "se esperaba %s argumento", "other": "se esperaban %s argumentos"},
    "argparse.ambiguous": "opción ambigua: %(option)s podría ser %(matches)s",
    "argparse.unexpected": "cadena de opción inesperada: %s",
    "argparse.invalid_value": "valor no válido (%(type)s): %(value)r",
    "argparse.invalid_choice": "valor no válido: %(value)r (elija entre %(choices)s)",
    "argparse.unknown_parser": "analizador desconocido %(parser_name)r (opciones: %(choices)s)",
    "argparse.cannot_open": "no se puede abrir '%(filename)s': %(error)s",
}
