"""Textos en español de los respaldos, las restauraciones y las sesiones manuales: los fallos de un driver, qué
hacer ante el error de una herramienta (advice.*) y por qué no se puede registrar un respaldo manual."""

TEXTS: dict[str, str | dict[str, str]] = {
    "checkname.checksum": "suma de control",
    "checkname.manifest": "manifiesto",
    "checkname.archive": "archivo",
    "checkname.listing": "listado",
    "checkname.extract": "extracción",
    "checkname.files": "ficheros",
    "checkname.integrity": "integridad",
    "checkname.open": "apertura",
    "checkname.clone": "clonado",
    "checkname.bundle": "paquete",
    "checkname.time": "tiempo",
    "checkname.tools": "herramientas",
    "checkname.internal": "interno",
    "checkname.artifact": "artefacto",
    "checkname.lock": "bloqueo",
    # ---- las comprobaciones de una verificación, como las guarda el catálogo ----
    "verify.manifest_ok": "coincide con el catálogo",
    "verify.manifest_changed": "manifest.json cambió desde la ejecución (sha256 {actual}…, catálogo {recorded}…)",
    "verify.part_missing": "falta {path}",
    "verify.part_size": "{size} bytes donde el manifiesto dice {recorded} (truncado o con datos añadidos)",
    "verify.part_digest": "el SHA-256 {actual}… difiere del del manifiesto, {recorded}… (los bytes cambiaron)",
    "verify.part_ok": "{size} bytes, SHA-256 como se registró",
    "verify.read_back": "cada parte releída con su nombre definitivo justo después de escribirla",
    "verify.passed_all": "{n} comprobación(es) superada(s)",
    "verify.tables_uncounted": "{n} tabla(s) restaurada(s); el número de filas no se registró al respaldar",
    "verify.tables_ok": "{n} tabla(s), {rows} filas, como al respaldar",
    "verify.members": "{n} miembro(s) leído(s)",
    "verify.listing_ok": "{n} entradas como las lista el manifiesto",
    "verify.extracted": "extraído con tar",
    "verify.files_ok": "{n} fichero(s) extraído(s) con el SHA-256 registrado",
    "verify.files_meta": "; carpetas, enlaces, permisos y fechas como se registraron",
    "verify.files_owners": ", también los propietarios",
    "verify.files_devices": "; {n} dispositivo(s) no creado(s): solo root puede",
    # ---- el resultado de una ejecución, como lo guarda el catálogo (engine/runner.py) ----
    "run.msg.cancelled_before": "cancelada antes de empezar",
    "run.msg.storage": "no se puede usar {root}: {error}",
    "run.msg.catalog": "el catálogo {catalog} falló: {error}",
    "run.msg.running_on": "en curso en {host}",
    "run.msg.already": "{repo} ya se está ejecutando ({holder}); espere a que termine",
    "run.msg.meanwhile": "respaldado entretanto por otro equipo",
    "run.msg.lease_lost": "se perdió la concesión: {error}",
    "run.msg.lease_stopped": "detenida: se perdió su concesión en el catálogo (otro equipo puede ejecutarla)",
    "run.msg.cancelled": "cancelada por el operador",
    "run.msg.timed_out": "superó el tiempo límite de {timeout}: aumente `timeout` en el perfil o averigüe por qué es lenta",
    "run.msg.not_installed": "{tool} no está instalado o no está en el PATH",
    "run.msg.disk_full": "el disco bajo {root} está lleno: libere espacio o cambie storage.root",
    "run.msg.internal": "error interno: {error}",
    "run.msg.unverified": "no se pudo verificar: {why}",
    "run.msg.unsatisfactory": "no satisfactoria: {why}",
    # ---- qué hacer ante lo que dijo una herramienta ----
    "advice.pg_authid": "pg_dumpall lee los hashes de contraseña de los roles, y solo un superusuario puede: ponga "
                        "source.globals: without-passwords (roles sin sus contraseñas) o false, o respalde como "
                        "superusuario",
    "advice.pg_table": "el rol necesita SELECT en todas las tablas: GRANT pg_read_all_data TO el rol "
                       "(PostgreSQL 14+), o conceda SELECT tabla por tabla",
    "advice.pg_schema": "el rol necesita USAGE en todos los esquemas: GRANT pg_read_all_data TO el rol "
                        "(PostgreSQL 14+)",
    "advice.pg_sequence": "el rol necesita SELECT en todas las secuencias: GRANT pg_read_all_data TO el rol",
    "advice.pg_createdb": "la verificación de nivel restore y la restauración crean bases de datos: ALTER ROLE … "
                          "CREATEDB",
    "advice.my_process": "mariadb-dump lista los tablespaces, lo que requiere PROCESS: GRANT PROCESS ON *.* TO el "
                         "usuario",
    "advice.my_database": "al usuario le faltan privilegios sobre esa base de datos: un usuario de respaldo necesita "
                          "SELECT, SHOW VIEW, TRIGGER, EVENT y LOCK TABLES sobre ella (y CREATE, DROP, INSERT… sobre "
                          "`dse\\_verify\\_%` para la verificación de nivel restore)",
    "advice.my_command": "al usuario le falta un privilegio que el volcado necesita: SELECT, SHOW VIEW, TRIGGER, "
                         "EVENT, LOCK TABLES (y PROCESS para los tablespaces)",
    "advice.password": "revise el usuario y la contraseña (password_env o passfile) en el perfil",
    "advice.ssh_key": "falló la autenticación por clave ssh: revise ssh.identity_file y el authorized_keys del "
                      "servidor",
    "advice.ssh_host": "revise ssh.host (o host) en el perfil",
    "advice.server_down": "¿está el servidor en marcha y escuchando en ese host y puerto?",
    "advice.unreachable": "¿se llega al host desde aquí (red, cortafuegos)?",
    "advice.names": "revise los nombres en el source del perfil",
    "advice.paths": "revise las rutas en el source del perfil en ese host",
    "advice.disk_full": "libere espacio bajo storage.root o muévalo",
    "tool.no_answer": "sin respuesta en {seconds:.0f} s",
    "tool.exit_status": "estado de salida {status}",
    "tool.exited": "{tool} terminó con el estado de salida {status}",
    "key.not_this": "{failure} — la identidad dada no es la clave {keys}",
    # ---- el respaldo de un driver ----
    "backup.part_failed": "{file}: {failure}{advice}",
    "backup.dump_empty": "{file}: el volcado está vacío donde se esperaban datos",
    "backup.read_back_differs": "{file} releído difiere de lo escrito (tamaño {size}, se esperaba {expected}): "
                                "revise el disco bajo {folder}",
    "backup.sqlite_missing": "la base de datos {path} no existe: revise source.path en el perfil",
    "backup.sqlite_failed": "falló el respaldo SQLite de {path}: {error}",
    "backup.sqlite_integrity": "la copia de {path} no pasa PRAGMA integrity_check: {integrity}",
    "backup.git_not_repo": "{path} no es un repositorio git: {error}",
    "backup.git_missing": "el repositorio {path} no existe: revise source.path en el perfil",
    "backup.git_empty": "{path} aún no tiene commits: no hay nada que empaquetar",
    "backup.no_files": "no hay archivos que registrar",
    # ---- la restauración de un driver ----
    "restore.stage_failed": "{what}: {failure}",
    "restore.sqlite.copy_failed": "no se pueden copiar las tablas de la base de datos de la ejecución: {error}",
    "restore.sqlite.counts_differ": "las tablas restauradas no son como las guarda la ejecución (filas {counts}, la "
                                    "ejecución contó {wanted}; integridad: {integrity})",
    "restore.git.not_empty": "git no puede restaurar en la carpeta no vacía {target}, que no es un repositorio",
    "restore.git.failed": "git: {error}",
    "restore.git.whole": "una ejecución git es un bundle de la historia del repositorio, no un árbol de archivos: "
                         "restáurela entera en una carpeta nueva y tome luego una ruta tal como era de su clon "
                         "(git -C CARPETA checkout RAMA -- RUTA, o git show RAMA:RUTA)",
    # ---- registrar lo que produjo un respaldo manual ----
    "register.no_files": "indique al menos un archivo que haya producido el respaldo manual",
    "register.missing": "{path} no existe",
    "register.not_file": "{path} no es ni un archivo ni una carpeta",
    "register.empty": "{path} está vacío: no puede ser un respaldo",
    "register.unreadable": "no se puede leer {path}: {error}",
    "register.same_name": "{path} y {other} se guardarían ambos como {part}: renombre uno",
    "register.no_own_part": "ninguno de estos es {what}: un respaldo manual de un repositorio {driver} contiene al "
                            "menos uno, para que sus comprobaciones puedan decir si es correcto",
    "register.no_session": "no hay ninguna sesión {session}",
    "register.not_finished": "la sesión {session} está {state}: termine su lista de verificación antes de registrar "
                             "lo que produjo",
    "register.repository_gone": "el repositorio {repo} de la sesión {session} ya no está en el perfil",
    # ---- los pasos de una sesión (sessions/machine.py) ----
    "machine.no_session": "no hay ninguna sesión {session}",
    "machine.no_step": "la sesión {session} no tiene ningún paso '{step}'",
    "machine.record": "la sesión {session} está {state}: ahora es un registro y no puede cambiar",
    "machine.evidence_first": "el paso '{step}' pide antes una evidencia: {prompt} (pulse e para darla)",
    "machine.required": "el paso '{step}' es obligatorio: no se puede omitir",
    "machine.skip_reason": "omitir un paso requiere un motivo",
    "machine.no_evidence": "el paso '{step}' no pide evidencia; escríbala en las notas",
    "machine.not_done": {"one": "falta 1 paso obligatorio por hacer: {steps}",
                         "other": "faltan {n} pasos obligatorios por hacer: {steps}"},
    "machine.abandon_reason": "abandonar una sesión requiere un motivo",
}
