"""English texts of copies onto devices (directory, removable disk, SSH, disc images), the media inventory,
label printing and manifests: what an operator reads when a copy or a print fails."""

TEXTS: dict[str, str | dict[str, str]] = {
    # ---- copies at hand for a restore (restore/athand.py) ----
    "athand.not_in_profile": "its destination is no longer in the profile",
    "athand.no_discs": "the catalog records no disc of this set: restore from the discs with dse-tui restore --from",
    "athand.not_mounted": "{path} is not there: is the disk or share of {dest} mounted?",
    "athand.no_copy": "{folder} holds no copy any more",
    # ---- copies, any destination ----
    "copy.source_damaged": "{src} no longer matches its manifest: run {run} is damaged; verify it",
    "copy.read_back_differs": "{file} read back from {place} differs from the manifest (size {size}, expected "
                              "{expected}): the medium may be failing",
    "copy.no_room": "{dest} has {free} bytes free, the copy needs {size}: free space or use another medium",
    "copy.folder_gone": "{folder} is gone",
    "copy.file_missing": "{file} is missing from {folder}",
    "copy.file_changed": "{file} in {folder} no longer matches its SHA-256",
    "copy.manifest_changed": "{path} no longer matches the catalog's SHA-256",
    "copy.source_file_missing": "{file} is missing from {source}: verify run {run}",
    "copy.run_unknown": "no run {run} in the catalog",
    "copy.not_mounted": "{path} does not exist: is the disk or share of {dest} mounted?",
    "copy.not_there": "{path} is not there: is the disk or share of {dest} mounted?",
    "copy.staging_room": "encrypting run {run} for {dest} needs {needed} bytes beside it, {free} are free under "
                         "{root}",
    "copy.encrypt_failed": "encrypting {file}: {failure}",
    # ---- removable disks ----
    "copy.disk_unplugged": "the removable disk {disk} of {dest} is not plugged in",
    "copy.disk_unmounted": "the removable disk {disk} ({device}) is plugged in but not mounted: mount it "
                           "(udisksctl mount -b {device}) and copy again",
    "copy.disk_away": "the disk {disk} of {dest} is not plugged in or not mounted",
    "devices.not_json": "lsblk printed something that is not its JSON: {error}",
    "devices.no_lsblk": "lsblk is not installed (Debian package util-linux)",
    "devices.timeout": "lsblk did not answer in {seconds} s",
    "devices.failed": "lsblk failed: {error}",
    # ---- SSH ----
    "copy.ssh_failed": "{dest} ({host}): {message}",
    "copy.ssh_write_failed": "{dest}: writing {file} failed: {error}",
    "copy.ssh_read_back_differs": "{file} read back on {host}:{path} differs from the manifest",
    "copy.host_silent": "{host} did not answer",
    "copy.host_said": "{host}: {error}",
    "copy.remote_folder": "{folder} on {host}: {error}",
    "copy.remote_manifest_changed": "{manifest} on {host}:{folder} no longer matches the catalog's",
    "copy.remote_file_changed": "{file} on {host}:{folder} no longer matches its SHA-256",
    # ---- disc images ----
    "optical.too_small": "a disc of {capacity} bytes cannot hold even the manifest and index: raise `capacity`",
    "optical.no_xorriso": "xorriso is not installed (Debian package xorriso): it makes the disc images",
    "optical.no_room": "{folder} has {free} bytes free; the images need about {size}",
    "optical.image_too_big": "image {image} is {size} bytes, larger than the medium ({capacity})",
    "optical.xorriso_failed": "xorriso could not make {image}: {error}",
    "optical.read_back_differs": "{file} read back from the disc images differs from the manifest",
    "optical.unreadable": "{image} cannot be read back: {error}",
    "optical.part_wrong": "{image}: {file} is missing or of the wrong size when read back",
    "optical.manifest_differs": "{image}: the manifest read back differs from the catalog's",
    "optical.timeout": "xorriso did not finish in {seconds} s",
    "optical.images_gone": "image(s) {images} not on disk (burned and removed?): verify the discs in a drive with "
                           "xorriso -indev /dev/sr0 -check_media",
    "optical.manifest_unreadable": "{image}: its manifest cannot be read back",
    # ---- the media inventory ----
    "media.unknown_state": "unknown state '{state}': one of {states}",
    "media.retired_stays": "{code} is {state}: a retired medium does not come back",
    "media.cannot_become": "{code} is {state}: it can become {allowed}, not {wanted}",
    "media.only_copy": {"one": "{code} holds the only verified copy of run {runs}: copy it elsewhere first "
                               "(dse-tui copy --run ID)",
                        "other": "{code} holds the only verified copy of runs {runs}: copy them elsewhere first "
                                 "(dse-tui copy --run ID)"},
    "media.retire_states": "retiring makes a medium {states}, not {state}",
    "media.no_medium": "no medium '{code}' in the inventory (see `dse-tui media list`)",
    # ---- printing labels ----
    "print.kept": "the file to print is kept at {path}",
    "print.no_lp": "CUPS' lp is not installed (Debian package cups-client); {kept}",
    "print.timeout": "CUPS did not answer in {seconds} s; {kept}",
    "print.no_scheduler": "CUPS is not running (lpstat -r: scheduler is not running): start it (systemctl start "
                          "cups); {kept}",
    "print.no_queue": "there is no printer queue '{queue}' in CUPS (lpstat -p lists them); {kept}",
    "print.cups_down": "CUPS is not running ({error}): start it (systemctl start cups); {kept}",
    "print.lp_failed": "lp failed: {error}; {kept}",
    # ---- manifests ----
    "manifest.cut": "the manifest {path} cannot be read: its list of files is cut short or damaged",
    "manifest.unreadable": "the manifest {path} cannot be read: {error}",
    "manifest.missing": "the manifest {path} is missing",
    # ---- what a copy logs, and where a destination is ----
    "copy.log.copying": "{dest}: copying run {run} onto {where}",
    "copy.log.ended": "{dest}: {state}: {message}",
    "copy.log.ended_at": "{dest}: {state} ({path})",
    "copy.log.encrypted": "{dest}: run {run} encrypted for it to {keys}",
    "dest.folder": "folder {path}",
    "dest.ssh": "{where}:{path} over SSH",
    "dest.ssh_port": "{where}:{path} over SSH (port {port})",
    "dest.removable_uuid": "removable disk UUID {uuid}",
    "dest.removable_label": "removable disk labelled {label}",
    "dest.optical": "disc images ({disc} each) in {path}, to burn",
    "dest.optical_bytes": "{capacity} bytes",
    # ---- label stocks built in (a profile's own stock says its own description) ----
    "stock.avery-l7160": "A4 sheet, 21 labels 63.5 × 38.1 mm (Avery L7160)",
    "stock.avery-5160": "US Letter sheet, 30 labels 66.7 × 25.4 mm (Avery 5160)",
    "stock.brother-62": "62 mm continuous roll, 62 × 40 mm per label (Brother QL)",
    "stock.zebra-4x2": "Zebra 4 × 2 inch label, ZPL (101.6 × 50.8 mm)",
    "stock.lto-a4": "A4 sheet of LTO cartridge barcode labels, 2 × 16 of 78 × 16.9 mm",
    "stock.case-insert": "Optical disc case insert 120 × 120 mm, 2 per A4 sheet (no adhesive labels on discs)",
}
