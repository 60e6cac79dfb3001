extension Roster {
    /// A school (lycée) of the academy, from `establishments.csv`.
    public struct Establishment: Sendable, Hashable, Codable {
        /// Unité administrative immatriculée: 7 digits and an upper-case letter, e.g. `0691234A`.
        public var uai: String
        public var name: String
        public var city: String

        public init(uai: String, name: String, city: String) {
            self.uai = uai
            self.name = name
            self.city = city
        }
    }

    /// A person who evaluates or coordinates, from `evaluators.csv`.
    public struct Evaluator: Sendable, Hashable, Codable {
        /// What an evaluator may do.
        public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
            /// A teacher of the establishment; may sit on commissions.
            case teacher
            /// A professional (tutor, company representative); may sit on commissions.
            case professional
            /// The coordinator of one establishment; does not sit on commissions.
            case coordinator
            /// A coordinator of the whole academy; does not sit on commissions.
            case academy
        }

        public var id: String
        public var lastName: String
        public var firstName: String
        public var email: String
        /// UAI of the evaluator's establishment; `nil` only for an `academy` evaluator attached
        /// to none.
        public var establishment: String?
        public var role: Role

        public init(id: String, lastName: String, firstName: String, email: String, establishment: String?, role: Role) {
            self.id = id
            self.lastName = lastName
            self.firstName = firstName
            self.email = email
            self.establishment = establishment
            self.role = role
        }
    }

    /// The evaluators who assess an establishment's candidates for one template and session,
    /// from `commissions.csv`.
    public struct Commission: Sendable, Hashable, Codable {
        public var id: String
        /// UAI of the establishment whose candidates this commission evaluates.
        public var establishment: String
        /// Id of the grid template, e.g. `ndrc-e4-ccf`.
        public var template: String
        /// The session's year, four digits, e.g. `2026`.
        public var session: String
        /// Evaluator ids, in file order; all `teacher` or `professional`.
        public var members: [String]

        public init(id: String, establishment: String, template: String, session: String, members: [String]) {
            self.id = id
            self.establishment = establishment
            self.template = template
            self.session = session
            self.members = members
        }
    }

    /// A candidate, from `candidates.csv`.
    public struct Candidate: Sendable, Hashable, Codable {
        /// Candidate number, unique within the academy's data.
        public var number: String
        public var lastName: String
        public var firstName: String
        /// UAI of the candidate's establishment.
        public var establishment: String
        /// Weeks of internship done, 0…104.
        public var internshipWeeks: Int

        public init(number: String, lastName: String, firstName: String, establishment: String, internshipWeeks: Int) {
            self.number = number
            self.lastName = lastName
            self.firstName = firstName
            self.establishment = establishment
            self.internshipWeeks = internshipWeeks
        }
    }

    /// A candidate taking one épreuve before one commission, from `registrations.csv`; the
    /// commission gives the template and the session.
    public struct Registration: Sendable, Hashable, Codable {
        /// Candidate number.
        public var candidate: String
        /// Commission id.
        public var commission: String

        public init(candidate: String, commission: String) {
            self.candidate = candidate
            self.commission = commission
        }
    }
}
