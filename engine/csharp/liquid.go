package csharp

// ToLiquid is what a Liquid template reads of a JSON value a policy
// expression made (osteele/liquid's Drop interface, duck-typed: this
// package does not import it): a JObject is its properties by name, a
// JArray its items, so {{ context.Variables.v.name }} and
// {{ v['name'] }} read a JObject variable as they read a JSON body.
func (o *JObject) ToLiquid() any {
	if o == nil {
		return nil
	}
	return o.M
}

// ToLiquid: a JArray is its items (see JObject.ToLiquid).
func (a *JArray) ToLiquid() any {
	if a == nil {
		return nil
	}
	return a.Items
}
