"""Textos en español de las copias en dispositivos (carpeta, disco extraíble, SSH, imágenes de disco), el
inventario de soportes, la impresión de etiquetas y los manifiestos."""

TEXTS: dict[str, str | dict[str, str]] = {
    # ---- copias a mano para una restauración (restore/athand.py) ----
    "athand.not_in_profile": "su destino ya no está en el perfil",
    "athand.no_discs": "el catálogo no registra ningún disco de este juego: restaure desde los discos con dse-tui restore --from",
    "athand.not_mounted": "{path} no está: ¿está montado el disco o recurso compartido de {dest}?",
    "athand.no_copy": "{folder} ya no contiene ninguna copia",
    # ---- copias, cualquier destino ----
    "copy.source_damaged": "{src} ya no coincide con su manifiesto: la ejecución {run} está dañada; verifíquela",
    "copy.read_back_differs": "{file} releído de {place} difiere del manifiesto (tamaño {size}, se esperaba "
                              "{expected}): el soporte puede estar fallando",
    "copy.no_room": "{dest} tiene {free} bytes libres y la copia necesita {size}: libere espacio o use otro soporte",
    "copy.folder_gone": "{folder} ya no existe",
    "copy.file_missing": "falta {file} en {folder}",
    "copy.file_changed": "{file} en {folder} ya no coincide con su SHA-256",
    "copy.manifest_changed": "{path} ya no coincide con el SHA-256 del catálogo",
    "copy.source_file_missing": "falta {file} en {source}: verifique la ejecución {run}",
    "copy.run_unknown": "no hay ninguna ejecución {run} en el catálogo",
    "copy.not_mounted": "{path} no existe: ¿está montado el disco o el recurso compartido de {dest}?",
    "copy.not_there": "{path} no está: ¿está montado el disco o el recurso compartido de {dest}?",
    "copy.staging_room": "cifrar la ejecución {run} para {dest} necesita {needed} bytes a su lado y hay {free} "
                         "libres en {root}",
    "copy.encrypt_failed": "al cifrar {file}: {failure}",
    # ---- discos extraíbles ----
    "copy.disk_unplugged": "el disco extraíble {disk} de {dest} no está conectado",
    "copy.disk_unmounted": "el disco extraíble {disk} ({device}) está conectado pero no montado: móntelo "
                           "(udisksctl mount -b {device}) y copie de nuevo",
    "copy.disk_away": "el disco {disk} de {dest} no está conectado o no está montado",
    "devices.not_json": "lsblk escribió algo que no es su JSON: {error}",
    "devices.no_lsblk": "lsblk no está instalado (paquete Debian util-linux)",
    "devices.timeout": "lsblk no respondió en {seconds} s",
    "devices.failed": "lsblk falló: {error}",
    # ---- SSH ----
    "copy.ssh_failed": "{dest} ({host}): {message}",
    "copy.ssh_write_failed": "{dest}: falló la escritura de {file}: {error}",
    "copy.ssh_read_back_differs": "{file} releído en {host}:{path} difiere del manifiesto",
    "copy.host_silent": "{host} no respondió",
    "copy.host_said": "{host}: {error}",
    "copy.remote_folder": "{folder} en {host}: {error}",
    "copy.remote_manifest_changed": "{manifest} en {host}:{folder} ya no coincide con el del catálogo",
    "copy.remote_file_changed": "{file} en {host}:{folder} ya no coincide con su SHA-256",
    # ---- imágenes de disco ----
    "optical.too_small": "un disco de {capacity} bytes no puede guardar ni el manifiesto y el índice: aumente "
                         "`capacity`",
    "optical.no_xorriso": "xorriso no está instalado (paquete Debian xorriso): es el que crea las imágenes de disco",
    "optical.no_room": "{folder} tiene {free} bytes libres; las imágenes necesitan unos {size}",
    "optical.image_too_big": "la imagen {image} ocupa {size} bytes, más que el soporte ({capacity})",
    "optical.xorriso_failed": "xorriso no pudo crear {image}: {error}",
    "optical.read_back_differs": "{file} releído de las imágenes de disco difiere del manifiesto",
    "optical.unreadable": "{image} no se puede releer: {error}",
    "optical.part_wrong": "{image}: {file} falta o tiene un tamaño incorrecto al releerlo",
    "optical.manifest_differs": "{image}: el manifiesto releído difiere del del catálogo",
    "optical.timeout": "xorriso no terminó en {seconds} s",
    "optical.images_gone": "imagen(es) {images} no están en el disco (¿grabadas y borradas?): verifique los discos "
                           "en una unidad con xorriso -indev /dev/sr0 -check_media",
    "optical.manifest_unreadable": "{image}: su manifiesto no se puede releer",
    # ---- el inventario de soportes ----
    "media.unknown_state": "estado desconocido '{state}': uno de {states}",
    "media.retired_stays": "{code} está {state}: un soporte retirado no vuelve",
    "media.cannot_become": "{code} está {state}: puede pasar a {allowed}, no a {wanted}",
    "media.only_copy": {"one": "{code} guarda la única copia verificada de la ejecución {runs}: cópiela antes en "
                               "otro sitio (dse-tui copy --run ID)",
                        "other": "{code} guarda la única copia verificada de las ejecuciones {runs}: cópielas antes "
                                 "en otro sitio (dse-tui copy --run ID)"},
    "media.retire_states": "retirar deja un soporte {states}, no {state}",
    "media.no_medium": "no hay ningún soporte '{code}' en el inventario (vea `dse-tui media list`)",
    # ---- impresión de etiquetas ----
    "print.kept": "el archivo a imprimir se conserva en {path}",
    "print.no_lp": "lp de CUPS no está instalado (paquete Debian cups-client); {kept}",
    "print.timeout": "CUPS no respondió en {seconds} s; {kept}",
    "print.no_scheduler": "CUPS no está en marcha (lpstat -r: scheduler is not running): inícielo (systemctl start "
                          "cups); {kept}",
    "print.no_queue": "no hay ninguna cola de impresión '{queue}' en CUPS (lpstat -p las lista); {kept}",
    "print.cups_down": "CUPS no está en marcha ({error}): inícielo (systemctl start cups); {kept}",
    "print.lp_failed": "lp falló: {error}; {kept}",
    # ---- manifiestos ----
    "manifest.cut": "el manifiesto {path} no se puede leer: su lista de archivos está cortada o dañada",
    "manifest.unreadable": "el manifiesto {path} no se puede leer: {error}",
    "manifest.missing": "falta el manifiesto {path}",
    # ---- lo que registra una copia, y dónde está un destino ----
    "copy.log.copying": "{dest}: copiando la ejecución {run} en {where}",
    "copy.log.ended": "{dest}: {state}: {message}",
    "copy.log.ended_at": "{dest}: {state} ({path})",
    "copy.log.encrypted": "{dest}: ejecución {run} cifrada para él con {keys}",
    "dest.folder": "la carpeta {path}",
    "dest.ssh": "{where}:{path} por SSH",
    "dest.ssh_port": "{where}:{path} por SSH (puerto {port})",
    "dest.removable_uuid": "el disco extraíble UUID {uuid}",
    "dest.removable_label": "el disco extraíble con etiqueta {label}",
    "dest.optical": "imágenes de disco ({disc} cada una) en {path}, para grabar",
    "dest.optical_bytes": "{capacity} bytes",
    # ---- label stocks built in (a profile's own stock says its own description) ----
    "stock.avery-l7160": "Hoja A4, 21 etiquetas de 63,5 × 38,1 mm (Avery L7160)",
    "stock.avery-5160": "Hoja US Letter, 30 etiquetas de 66,7 × 25,4 mm (Avery 5160)",
    "stock.brother-62": "Rollo continuo de 62 mm, 62 × 40 mm por etiqueta (Brother QL)",
    "stock.zebra-4x2": "Etiqueta Zebra de 4 × 2 pulgadas, ZPL (101,6 × 50,8 mm)",
    "stock.lto-a4": "Hoja A4 de etiquetas de código de barras para cartuchos LTO, 2 × 16 de 78 × 16,9 mm",
    "stock.case-insert": "Carátula de caja de disco óptico de 120 × 120 mm, 2 por hoja A4 (nada adhesivo sobre los discos)",
}
