"""The open data entrypoints a service that publishes files shares (nameko
shell over services/common/opendata_store.py; docs/adr/0007-open-data.md).

A service mixes it in and says what its files are (`open_data_files`); it
gets the timer that regenerates them when dirty (debounced) and the two
RPCs the gateway streams them with."""
import logging

from services.common.config import get_float, get_int
from services.common.entrypoints import ConfiguredTimer, rpc

log = logging.getLogger(__name__)


class OpenDataMixin:
    def open_data_files(self):
        """[{"name", "media_type", "body", "resource"}] from the service's storage."""
        raise NotImplementedError

    @ConfiguredTimer.decorator("CFZ_OPEN_DATA_INTERVAL")
    def generate_open_data(self):
        """The files, when a write marked them dirty and the last generation
        began CFZ_OPEN_DATA_MIN_SECONDS ago or more (a burst of changes
        regenerates once)."""
        manifest = self.storage.regenerate_open_data(
            self.open_data_files, get_float(self.config, "CFZ_OPEN_DATA_MIN_SECONDS"),
            get_int(self.config, "CFZ_OPEN_DATA_CHUNK_BYTES"))
        if manifest is None:
            return None
        log.info("%s open data: generation %s (%s files)", self.name, manifest["generation"],
                 len(manifest["files"]))
        return manifest["generation"]

    @rpc
    def open_data_manifest(self):
        return self.storage.open_data_manifest()

    @rpc
    def open_data_chunk(self, generation, name, encoding, index):
        """One stored chunk, base64 (at most CFZ_OPEN_DATA_CHUNK_BYTES before)."""
        return self.storage.open_data_chunk(generation, name, encoding, index)
