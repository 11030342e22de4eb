import Foundation
import Testing
@testable import SwitchyardServe

@Suite struct TokenSamplerTests {
    let logits: [Float] = [0.5, 2.0, -1.0, 2.0, 1.0, 0.0]

    func draws(_ sampler: inout TokenSampler, _ count: Int) -> [Int] {
        logits.withUnsafeBufferPointer { row in (0..<count).map { _ in sampler.next(row) } }
    }

    @Test func temperatureZeroIsArgmaxWithTiesToTheLowerID() {
        var sampler = TokenSampler(temperature: 0, topP: 1, seed: 1)
        #expect(draws(&sampler, 5) == [1, 1, 1, 1, 1])
    }

    @Test func aSeedRepeatsItsDrawsAndAnotherSeedDoesNot() {
        var a = TokenSampler(temperature: 1, topP: 1, seed: 42), b = TokenSampler(temperature: 1, topP: 1, seed: 42)
        var c = TokenSampler(temperature: 1, topP: 1, seed: 43)
        let first = draws(&a, 64)
        #expect(first == draws(&b, 64))
        #expect(first != draws(&c, 64))
    }

    /// The draws' frequencies match softmax(logits / T) computed here independently.
    @Test(arguments: [0.5, 1.0, 1.7])
    func frequenciesFollowTheSoftmax(temperature: Double) {
        var sampler = TokenSampler(temperature: temperature, topP: 1, seed: 7)
        let n = 40_000
        var counts = [Int](repeating: 0, count: logits.count)
        for token in draws(&sampler, n) { counts[token] += 1 }
        let weights = logits.map { exp(Double($0) / temperature) }
        let total = weights.reduce(0, +)
        for (i, w) in weights.enumerated() {
            let expected = w / total, seen = Double(counts[i]) / Double(n)
            // Five standard deviations of a binomial frequency.
            #expect(abs(seen - expected) <= 5 * (expected * (1 - expected) / Double(n)).squareRoot() + 1e-9,
                    "token \(i): \(seen) drawn, \(expected) expected")
        }
    }

    /// top_p keeps the most likely tokens until their mass reaches it: here the two tied at 2.0.
    @Test func topPCutsToTheNucleus() {
        let weights = logits.map { exp(Double($0)) }
        let total = weights.reduce(0, +)
        let twoTop = (weights[1] + weights[3]) / total
        var sampler = TokenSampler(temperature: 1, topP: twoTop * 0.99, seed: 3)
        let seen = Set(draws(&sampler, 2000))
        #expect(seen == [1, 3])
        var narrow = TokenSampler(temperature: 1, topP: 0.01, seed: 3)
        #expect(Set(draws(&narrow, 200)) == [1])
    }
}
