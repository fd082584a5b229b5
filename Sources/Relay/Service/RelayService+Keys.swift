import Foundation
import Outbox
import RelayCore

extension RelayService {
    /// After a key rotation: re-seals, on a thread of its own, the queued and dead jobs still under
    /// an older key, 100 per writer transaction with a 20 ms pause between batches (ingest and
    /// delivery keep the writer). Ends when none is left, or when the store closes.
    public func resealInBackground() {
        guard let store = store as? any KeyResealStore else { return }
        let logger = self.logger
        let thread = Thread {
            do {
                _ = try store.resealOldPayloads(batchSize: 100) { usleep(20_000) }
            } catch {
                logger.warning("outbox re-sealing stopped", ["error": .string(String(describing: error))])
            }
        }
        thread.name = "otp-relay-reseal"
        thread.start()
    }
}
