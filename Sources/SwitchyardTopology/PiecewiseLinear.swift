/// A measured curve read between its points: linear between neighbours, the first point's value
/// below it and the last point's beyond it. `points` by strictly increasing `x`, at least one.
enum PiecewiseLinear {
    static func value<Point>(at x: Double, _ points: [Point], x px: (Point) -> Double, y py: (Point) -> Double) -> Double {
        precondition(!points.isEmpty, "a curve needs a point")
        if x <= px(points[0]) { return py(points[0]) }
        guard let i = points.firstIndex(where: { px($0) > x }) else { return py(points[points.count - 1]) }
        let below = points[i - 1], above = points[i]
        let t = (x - px(below)) / (px(above) - px(below))
        return py(below) + (py(above) - py(below)) * t
    }
}
