"""The demo documents and knowledge articles of the evaluation set, and its questions with
the source each one should be answered from. ``assistant_seed_eval`` loads the corpus
(documents as PDFs, through the real upload and extraction path); ``assistant_eval``
asks the questions."""

DOCUMENTS = {
    "Riverside Court house rules": [
        "Quiet hours run from 10pm to 7am every day; music and power tools are not allowed then.",
        "The rooftop swimming pool opens at 6am and closes at 9pm. Children under 12 swim with an adult.",
        "Refuse is collected on Tuesdays and Fridays from the bins behind block B.",
        "Visitors' cars park in bays V1 to V8 for at most 24 hours; guards log every plate at the gate.",
        "Barbecues are allowed only in the garden area next to the playground, never on balconies.",
    ],
    "Tenancy agreement for flat A12": [
        "The monthly rent is KES 85,000, payable on or before the 5th day of each month.",
        "A late payment fee of 5 percent of the monthly rent applies after a grace period of five days.",
        "The security deposit equals two months' rent and is refunded within 30 days of the end of the tenancy.",
        "Either party may end the tenancy with two months' written notice after the first twelve months.",
        "The tenant may not sublet the flat or any room in it without the landlord's written consent.",
    ],
    "Pet policy": [
        "Tenants may keep one cat or one small dog with the written consent of the landlord.",
        "A pet deposit of KES 15,000 is held and refunded at the end of the tenancy if there is no damage.",
        "Dogs must be on a leash in all common areas and are not allowed in the pool area.",
    ],
    "Maintenance and repairs guide": [
        "Report repairs through the tenant portal or by calling the maintenance desk on 0711 000 111.",
        "Emergency repairs such as burst pipes, power failures or broken locks are attended within 4 hours.",
        "Routine repairs such as dripping taps or stuck windows are attended within 3 working days.",
        "The boiler and water heaters are serviced every March by Jua Kali Engineering.",
        "Tenants pay for repairs of damage they caused; the landlord pays for wear and tear.",
    ],
    "Invoice INV-2026-0042": [
        "Invoice INV-2026-0042 from Alpha Homes to the tenant of flat A12.",
        "Service charge for the second quarter of 2026: KES 12,600, due on 15 April 2026.",
        "Pay to M-Pesa paybill 400200 with the account number A12.",
    ],
    "Inspection report for block C": [
        "Inspection of block C on 3 February 2026 by Wanjiku Njoroge, building surveyor.",
        "The roof membrane over stairwell C2 shows cracks and must be replaced before the long rains.",
        "Fire extinguishers on floors 2 and 4 are past their service date and were tagged for refill.",
        "The lift in block C passed its annual safety test and its certificate runs until January 2027.",
    ],
    "Parking allocation register": [
        "Each flat has one allocated parking bay; flats A1 to A20 use the basement, B1 to B20 the open yard.",
        "A second bay can be rented for KES 3,500 a month, subject to availability.",
        "Electric vehicle charging points are in bays 31 and 32 and are booked at the reception.",
    ],
    "Moving in and out procedure": [
        "Moving in or out is allowed from Monday to Saturday between 8am and 5pm, never on Sundays.",
        "Book the service lift at the reception at least 48 hours before the move.",
        "A move-out inspection is done with the tenant present, and keys are returned at the reception.",
    ],
}

ARTICLES = {
    "How to pay rent by M-Pesa": (
        "Open M-Pesa, choose Lipa na M-Pesa and Pay Bill. Enter business number 400200 and use your unit "
        "number as the account number. You receive an SMS receipt and Domus marks the invoice paid within minutes."
    ),
    "Getting a copy of your lease": (
        "Tenants can download their signed lease from the documents section of the portal at any time. "
        "Every earlier version stays available, so you can compare the renewal with the original."
    ),
    "Water outages and the borehole": (
        "When the county supply fails, the estate switches to its borehole within one hour. "
        "Borehole water is treated and safe for washing; drinking water is delivered in 20 litre bottles on request."
    ),
    "Gym access and opening hours": (
        "The residents' gym on the ground floor of block A opens from 5am to 10pm. "
        "Access is by resident tag; guests may use it only with a resident and must sign the guest book."
    ),
    "Renewing a tenancy": (
        "Renewal offers are sent 90 days before a lease ends. Accept the offer in the portal within 30 days; "
        "rent increases at renewal are capped at 7 percent a year."
    ),
}

# (question, the title of the source that answers it)
QUESTIONS = [
    ("When are quiet hours?", "Riverside Court house rules"),
    ("What time does the swimming pool close?", "Riverside Court house rules"),
    ("Can children swim alone in the pool?", "Riverside Court house rules"),
    ("Which days is the rubbish collected?", "Riverside Court house rules"),
    ("How long can a visitor park their car?", "Riverside Court house rules"),
    ("Where can I have a barbecue?", "Riverside Court house rules"),
    ("How much is the monthly rent for flat A12?", "Tenancy agreement for flat A12"),
    ("When is rent due each month?", "Tenancy agreement for flat A12"),
    ("What is the penalty for paying rent late?", "Tenancy agreement for flat A12"),
    ("How big is the security deposit?", "Tenancy agreement for flat A12"),
    ("How much notice do I need to give to end my tenancy?", "Tenancy agreement for flat A12"),
    ("Am I allowed to sublet a room?", "Tenancy agreement for flat A12"),
    ("When is the deposit refunded after I move out?", "Tenancy agreement for flat A12"),
    ("Can I keep a dog in my flat?", "Pet policy"),
    ("How much is the pet deposit?", "Pet policy"),
    ("Are dogs allowed near the pool?", "Pet policy"),
    ("Do dogs need a leash in common areas?", "Pet policy"),
    ("How do I report a repair?", "Maintenance and repairs guide"),
    ("What is the maintenance desk phone number?", "Maintenance and repairs guide"),
    ("How quickly is a burst pipe fixed?", "Maintenance and repairs guide"),
    ("How long do routine repairs like a dripping tap take?", "Maintenance and repairs guide"),
    ("When is the boiler serviced?", "Maintenance and repairs guide"),
    ("Who pays for repairs of damage I caused?", "Maintenance and repairs guide"),
    ("Which company services the water heaters?", "Maintenance and repairs guide"),
    ("INV-2026-0042", "Invoice INV-2026-0042"),
    ("How much is the service charge for the second quarter?", "Invoice INV-2026-0042"),
    ("When is invoice INV-2026-0042 due?", "Invoice INV-2026-0042"),
    ("Who inspected block C?", "Inspection report for block C"),
    ("What is wrong with the roof over stairwell C2?", "Inspection report for block C"),
    ("Which fire extinguishers need a refill?", "Inspection report for block C"),
    ("Did the lift in block C pass its safety test?", "Inspection report for block C"),
    ("When does the lift certificate expire?", "Inspection report for block C"),
    ("Where do flats A1 to A20 park?", "Parking allocation register"),
    ("How much does a second parking bay cost?", "Parking allocation register"),
    ("Where can I charge my electric car?", "Parking allocation register"),
    ("On which days can I move in?", "Moving in and out procedure"),
    ("How do I book the service lift for moving?", "Moving in and out procedure"),
    ("Can I move out on a Sunday?", "Moving in and out procedure"),
    ("Where do I return my keys when I move out?", "Moving in and out procedure"),
    ("What paybill number do I use to pay rent?", "How to pay rent by M-Pesa"),
    ("What account number do I enter when paying by M-Pesa?", "How to pay rent by M-Pesa"),
    ("How do I know my M-Pesa rent payment was received?", "How to pay rent by M-Pesa"),
    ("Where can I download my signed lease?", "Getting a copy of your lease"),
    ("Can I see the earlier version of my lease?", "Getting a copy of your lease"),
    ("What happens when the county water supply fails?", "Water outages and the borehole"),
    ("Is the borehole water safe to drink?", "Water outages and the borehole"),
    ("How do I get drinking water during an outage?", "Water outages and the borehole"),
    ("What are the gym opening hours?", "Gym access and opening hours"),
    ("Can I bring a guest to the gym?", "Gym access and opening hours"),
    ("When will I get a renewal offer for my lease?", "Renewing a tenancy"),
    ("By how much can the rent go up at renewal?", "Renewing a tenancy"),
    ("How long do I have to accept a renewal offer?", "Renewing a tenancy"),
]
