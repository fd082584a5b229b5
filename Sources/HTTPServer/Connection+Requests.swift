/// Turning buffered input into requests, and responses into ordered output.
extension Connection {
    /// Parses and dispatches every complete request in the buffer while the machine lets further
    /// requests be parsed (pipeline not full, output under its high-water mark).
    func process() {
        let limits = config.parser
        while let request = machine.request {
            switch request {
            case .head:
                guard machine.mayParse(inFlight: slots.count) else { return }
                guard takeTurnRequest() else { return }
                if scanFrom == 0 {
                    var emptyLines = 0
                    while end - start >= 2, buffer[start] == RequestParser.cr, buffer[start + 1] == RequestParser.lf {
                        start += 2
                        emptyLines += 1
                    }
                    if emptyLines > 0 {
                        if machine.emptyLinesSkipped(emptyLines, nothingPending: nothingPending) == .close { return close() }
                        guard machine.isReading else { return }
                    }
                    if end - start == 1 && buffer[start] == RequestParser.cr { return }
                }
                guard start < end else {
                    machine.noHeadBuffered()
                    return
                }
                machine.headBytesBuffered(now: loop.now)
                let available = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
                switch RequestParser.scanHeadEnd(available, from: &scanFrom, limits: limits) {
                case .incomplete:
                    return
                case .rejected(let r):
                    reject(r)
                    return
                case .found(let length):
                    let parsed = RequestParser.parseCompleteHead(
                        UnsafeRawBufferPointer(rebasing: available[..<length]), limits: limits)
                    start += length
                    scanFrom = 0
                    machine.headParsed()
                    switch parsed {
                    case .failure(let f): reject(f.rejection)
                    case .success(let p): headReceived(p)
                    }
                }
            case .body(let head, let length, _):
                guard end - start >= length else { return }
                let body = [UInt8](UnsafeRawBufferPointer(rebasing: buffer[start..<start + length]))
                start += length
                machine.bodyReceived()
                dispatch(head, body: body)
            case .discard(let remaining, _):
                let n = min(remaining, end - start)
                start += n
                guard machine.bodyBytesDiscarded(n) else { return }
            }
        }
    }

    /// Whether this turn's budget has room for one more request head (counting it); when not, the
    /// connection yields: it continues on the loop's next turn, reading what it left unread then
    /// (edge-triggered epoll would not report it again).
    func takeTurnRequest() -> Bool {
        if turnSeen != loop.turn {
            turnSeen = loop.turn
            turnParsed = 0
        }
        guard turnParsed < config.maxRequestsPerTurn else {
            if turnParsed == config.maxRequestsPerTurn {
                turnParsed += 1  // resume once per turn
                machine.readPaused = true
                loop.resumeLater(self)
            }
            return false
        }
        turnParsed += 1
        return true
    }

    /// This turn's request budget is used up.
    var turnSpent: Bool { turnSeen == loop.turn && turnParsed > config.maxRequestsPerTurn }

    /// Applies the server's framing rules, then asks the handler whether to answer early.
    func headReceived(_ parsed: ParsedHead) {
        var head = parsed.head
        head.peerAddress = peer
        if parsed.hasTransferEncoding {
            reject(
                head.contentLength == nil
                    ? .lengthRequired
                    : .badRequest(reason: "Content-Length with Transfer-Encoding"))
            return
        }
        let length = head.contentLength ?? 0
        if length > config.maxBodyBytes { return reject(.payloadTooLarge) }
        if head.contentLength == nil {
            switch head.method {
            case "POST", "PUT", "PATCH": return reject(.lengthRequired)
            default: break
            }
        }
        if parsed.unsupportedExpectation { return reject(.expectationFailed) }

        if let early = loop.handler.head(head) {
            // A peer waiting for 100 Continue may or may not send the body now: close.
            let mustClose = parsed.expectContinue && length > 0
            enqueue(
                Slot(
                    response: early, keepAlive: head.keepAlive && !mustClose,
                    isHEAD: head.method == "HEAD", http10: head.versionMinor == 0))
            if !mustClose && length > 0 { machine.discardBody(length: length, now: loop.now) }
            return
        }
        if length == 0 { return dispatch(head, body: []) }
        if parsed.expectContinue && end - start < length {
            enqueue(Slot(response: nil, isContinue: true))
        }
        machine.expectBody(head, length: length, now: loop.now)
    }

    /// Hands a complete request to the handler; its response comes back through the mailbox.
    func dispatch(_ head: HTTPRequestHead, body: [UInt8]) {
        let seq = nextSeq
        nextSeq += 1
        slots.append(
            Slot(
                response: nil, keepAlive: head.keepAlive, isHEAD: head.method == "HEAD",
                http10: head.versionMinor == 0))
        if !head.keepAlive || machine.isLastRequest { machine.stopReading() }
        loop.dispatch(HTTPRequest(head: head, body: body, executor: loop.executor), to: self, seq: seq)
    }

    /// Queues the application's rejection response and stops reading requests.
    func reject(_ rejection: HTTPRejection) {
        var response = loop.handler.rejection(rejection)
        response.closeConnection = true
        loop.logger?.info("http.rejected", ["reason": .string(rejection.description), "peer": .string(peer)])
        enqueue(Slot(response: response, keepAlive: false, abort: rejection == .requestTimeout))
        machine.stopReading()
    }

    func enqueue(_ slot: Slot) {
        nextSeq += 1
        if !slot.isContinue && !slot.keepAlive { machine.stopReading() }
        slots.append(slot)
        drainReady()
    }

    /// A handler's response for request `seq`; late, duplicate or unknown numbers are ignored.
    func deliver(seq: Int, _ response: HTTPResponse) {
        owner.check()
        let i = seq - firstSeq
        guard i >= 0, i < slots.count, slots[i].response == nil, !slots[i].isContinue else { return }
        slots[i].response = response
        guard i == 0 else { return }
        drainReady()
        resumeReading()
    }

    /// Room again (an answer left the pipeline, or output drained to its low-water mark): parses
    /// what is buffered, then reads what was left unread.
    func resumeReading() {
        owner.check()
        guard machine.isReading, machine.mayParse(inFlight: slots.count) else { return }
        process()
        if machine.readPaused && !closed { readInput() }
    }

    /// Encodes every response that is next in order; stops after one that closes.
    func drainReady() {
        var wrote = false
        while let first = slots.first, first.isContinue || first.response != nil {
            slots.removeFirst()
            firstSeq += 1
            wrote = true
            if first.isContinue {
                output.append(contentsOf: ResponseEncoder.continueBytes)
                continue
            }
            let response = first.response!
            let close = response.closeConnection || !first.keepAlive || loop.stopping
            ResponseEncoder.encode(
                response, into: &output, close: close,
                keepAliveHeader: first.http10 && !close,
                omitBody: first.isHEAD, date: loop.date.line)
            if close {
                machine.closingResponseQueued(abort: first.abort)
                firstSeq = nextSeq
                slots.removeAll()
                break
            }
        }
        if wrote {
            machine.outputQueued(pending: output.count - outputSent)
            loop.markDirty(self)
        }
    }
}
