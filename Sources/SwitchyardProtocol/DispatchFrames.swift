import SwitchyardWire

extension DispatchPlan {
    /// The dispatch for `host`: its routes and its tokens' rows gathered out of the batch's
    /// `[tokenCount × hidden]` activations straight into `payload`; nil when it gets no tokens.
    public func dispatchFrame(host: Int, address: FrameAddress, activations: [Float], hidden: Int, payload: PayloadType) -> WireFrame? {
        precondition(activations.count == tokenCount * hidden, "\(activations.count) activations are not \(tokenCount) tokens × \(hidden)")
        let dispatch = hosts[host]
        guard dispatch.receivesMessage else { return nil }
        let rows = ActivationRows(gathering: dispatch.routes.tokens, from: activations, width: hidden, as: payload)
        return WireFrame(address: address, host: host, body: .dispatch(Dispatch(routes: dispatch.routes, activations: rows)))
    }

    /// Every dispatch of the layer, in host order; hosts without tokens get none.
    public func dispatchFrames(address: FrameAddress, activations: [Float], hidden: Int, payload: PayloadType) -> [WireFrame] {
        activeHosts.compactMap { dispatchFrame(host: $0, address: address, activations: activations, hidden: hidden, payload: payload) }
    }
}
