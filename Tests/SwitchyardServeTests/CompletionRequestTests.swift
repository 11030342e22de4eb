import Foundation
import Testing
@testable import SwitchyardServe

@Suite struct CompletionRequestTests {
    let served = ServedModel(name: "tiny", vocabSize: 512, maxModelLength: 64, maxStepTokens: 10, created: 0)

    func parse(_ json: String) throws(APIError) -> CompletionRequest {
        try CompletionRequest(body: Data(json.utf8), served: served)
    }

    func refusal(_ json: String) -> APIError? {
        do { _ = try parse(json); return nil } catch { return error }
    }

    @Test func aFullRequestKeepsEveryField() throws {
        let request = try parse(#"{"model": "tiny", "prompt": [1, 2, 511], "max_tokens": 5, "temperature": 0.7, "top_p": 0.9, "seed": -3,"#
            + #" "stream": true, "stream_options": {"include_usage": true}, "user": "ignored", "n": 1, "logprobs": null}"#)
        #expect(request == CompletionRequest(model: "tiny", prompt: [1, 2, 511], maxTokens: 5, temperature: 0.7, topP: 0.9,
                                             seed: UInt64(bitPattern: -3), stream: true, includeUsage: true))
    }

    @Test func defaultsAreOpenAIs() throws {
        let request = try parse(#"{"prompt": [[7, 8]]}"#)
        #expect(request == CompletionRequest(prompt: [7, 8], maxTokens: 16, temperature: 1, topP: 1))
    }

    /// Each wrong field is a 400 that names it, in OpenAI's error shape.
    @Test(arguments: [
        (#"{"prompt": "hello"}"#, "prompt", "token ids only"),
        (#"{"prompt": ["a", "b"]}"#, "prompt", "token ids only"),
        (#"{"prompt": []}"#, "prompt", "empty"),
        (#"{"prompt": [[1], [2]]}"#, "prompt", "one prompt per request"),
        (#"{"prompt": [1, 512]}"#, "prompt", "prompt[1] is 512"),
        (#"{"prompt": [1, -1]}"#, "prompt", "prompt[1] is -1"),
        (#"{"prompt": [1.5]}"#, "prompt", "prompt[0] is 1.5"),
        (#"{"max_tokens": 2}"#, "prompt", "missing"),
        (#"{"prompt": [1], "max_tokens": "8"}"#, "max_tokens", "expected an integer"),
        (#"{"prompt": [1], "max_tokens": -1}"#, "max_tokens", "0...64"),
        (#"{"prompt": [1, 2], "max_tokens": 63}"#, "max_tokens", "context of 64"),
        (#"{"prompt": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]}"#, "prompt", "one step carries at most 10"),
        (#"{"prompt": [1], "temperature": 2.5}"#, "temperature", "0...2"),
        (#"{"prompt": [1], "temperature": true}"#, "temperature", "a boolean"),
        (#"{"prompt": [1], "top_p": 0}"#, "top_p", "above 0"),
        (#"{"prompt": [1], "seed": 1.5}"#, "seed", "integer"),
        (#"{"prompt": [1], "stream": 1}"#, "stream", "true or false"),
        (#"{"prompt": [1], "stream_options": {"include_usage": "yes"}}"#, "stream_options.include_usage", "true or false"),
        (#"{"prompt": [1], "n": 2}"#, "n", "not supported"),
        (#"{"prompt": [1], "stop": ["x"]}"#, "stop", "not supported"),
        (#"{"prompt": [1], "model": 3}"#, "model", "a number"),
    ])
    func wrongFieldsAreNamed(json: String, param: String, message: String) throws {
        let error = try #require(refusal(json))
        #expect(error.status == 400 && error.type == "invalid_request_error")
        #expect(error.param == param)
        #expect(error.message.contains(message), "\(error.message)")
        let body = try JSONSerialization.jsonObject(with: error.body) as! [String: [String: Any]]
        #expect(body["error"]?["param"] as? String == param)
        #expect(body["error"]?["message"] as? String == error.message)
        #expect(body["error"]?.keys.sorted() == ["code", "message", "param", "type"])
    }

    @Test func bodiesThatAreNotObjectsAreRefused() throws {
        #expect(refusal("not json")?.message == "the body is not valid JSON")
        #expect(refusal("[1, 2]")?.message == "the body is an array, expected a JSON object")
    }

    @Test func anotherModelIsNotFound() throws {
        let error = try #require(refusal(#"{"model": "gpt-4", "prompt": [1]}"#))
        #expect(error.status == 404 && error.code == "model_not_found")
        #expect(error.message.contains("`tiny`"))
    }
}
