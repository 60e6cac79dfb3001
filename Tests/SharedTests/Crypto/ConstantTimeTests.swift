import Testing
import Shared

@Suite struct ConstantTimeTests {
    @Test(arguments: [
        ([UInt8](), [UInt8](), true),
        ([1, 2, 3], [1, 2, 3], true),
        ([1, 2, 3], [1, 2, 4], false),
        ([0x80, 2, 3], [0, 2, 3], false),
        ([1, 2], [1, 2, 3], false),
        ([], [0], false),
    ] as [([UInt8], [UInt8], Bool)])
    func equalsComparesContentAndLength(a: [UInt8], b: [UInt8], equal: Bool) {
        #expect(ConstantTime.equals(a, b) == equal)
        #expect(ConstantTime.equals(b, a) == equal)
    }
}
